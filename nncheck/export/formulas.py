"""The formula sheet of a problem set: the formulas its problems need, in the course notes' notation.

The ECE 417 final-exam review hands students "two pages of formulas" with the exam.  A set's sheet
is built from :data:`FORMULAS`, one table of formula groups, each naming the families it serves:
a group is printed when a family of the set needs it, in the table's order, so a set on one topic
gets a short sheet and a whole exam at most two pages.  The notation is the notes': ξ for an
excitation, h for an activation, σ̇ for the sigmoid's derivative, ŷ for an output, W⁽¹⁾ for a layer's
weights, F/S/P for filter size, stride and padding, i/o/f/c for the LSTM's gates and cell.

Every formula is LaTeX math (amsmath), written once here and shared by the LaTeX sheet
(:func:`formula_sheet_latex`) and the Markdown one (:func:`formula_sheet_markdown`).  The sheet
states definitions and rules, never a worked answer.
"""

from __future__ import annotations

from typing import NamedTuple


class FormulaGroup(NamedTuple):
    title: str
    #: Families served: a full id (``detection.iou``) or a prefix ending in a dot (``lstm.``).
    families: tuple[str, ...]
    #: (what it is, LaTeX math) in the order printed.
    formulas: tuple[tuple[str, str], ...]


FORMULAS: tuple[FormulaGroup, ...] = (
    FormulaGroup("Activation functions", (
        "backprop.activation-derivative", "backprop.two-layer", "backprop.mlp", "backprop.total-derivative",
        "derive.sigmoid-derivative", "derive.tanh-sigmoid", "derive.tanh-derivative", "rnn.", "lstm.", "gru."), (
        ("logistic sigmoid", r"h = \sigma(\xi) = \frac{1}{1 + e^{-\xi}}, \qquad "
                             r"\dot\sigma(\xi) = \sigma(\xi)\bigl(1 - \sigma(\xi)\bigr) = h(1 - h)"),
        ("tanh", r"\tanh\xi = \frac{e^{\xi} - e^{-\xi}}{e^{\xi} + e^{-\xi}} = 2\sigma(2\xi) - 1, \qquad "
                 r"\frac{d\tanh\xi}{d\xi} = 1 - \tanh^2\xi"),
        ("ReLU; leaky ReLU", r"\mathrm{ReLU}(\xi) = \max(0, \xi),\ \ \frac{d}{d\xi} = u(\xi); \qquad "
                             r"\xi \text{ if } \xi \ge 0,\ \alpha\xi \text{ otherwise}"),
        ("ELU", r"\xi \text{ if } \xi \ge 0,\ \alpha(e^{\xi} - 1) \text{ otherwise}; \qquad "
                r"\frac{d}{d\xi} = 1 \text{ or } \alpha e^{\xi}"),
    )),
    FormulaGroup("Two-layer network and back-propagation (ECE 417)", ("backprop.two-layer", "backprop.xor-network"), (
        ("forward", r"\vec\xi^{(1)} = \vec b^{(1)} + W^{(1)}\vec x, \qquad \vec h = g(\vec\xi^{(1)})"),
        ("", r"\vec\xi^{(2)} = \vec b^{(2)} + W^{(2)}\vec h, \qquad \hat y = g(\vec\xi^{(2)})"),
        ("output error (MSE + linear, BCE + sigmoid, CE + softmax)",
         r"\nabla_{\vec\xi_i^{(2)}}\mathcal{L} = \frac{1}{n}(\hat y_i - \vec y_i)"),
        ("hidden error", r"\nabla_{\vec\xi_i^{(1)}}\mathcal{L} = \dot\sigma(\vec\xi_i^{(1)}) \odot "
                         r"W^{(2),T}\nabla_{\vec\xi_i^{(2)}}\mathcal{L}"),
        ("weight gradients", r"\nabla_{W^{(2)}}\mathcal{L} = \sum_{i=1}^n \nabla_{\vec\xi_i^{(2)}}\mathcal{L}\,"
                             r"\vec h_i^T, \qquad \nabla_{W^{(1)}}\mathcal{L} = \sum_{i=1}^n "
                             r"\nabla_{\vec\xi_i^{(1)}}\mathcal{L}\,\vec x_i^T"),
        ("biases; gradient descent", r"\nabla_{\vec b}\mathcal{L} = \sum_i \nabla_{\vec\xi_i}\mathcal{L}, \qquad "
                                     r"W \leftarrow W - \eta\nabla_W\mathcal{L}"),
        ("ReLU network (CMU 16-785)", r"f(\vec x) = \vec w^T \max\{0, W^T\vec x + \vec c\} + b"),
    )),
    FormulaGroup("Multi-layer network with weight decay (CMU 16-785 Alg. 6.3/6.4)", ("backprop.mlp",), (
        ("forward", r"\vec h^{(0)} = \vec x, \qquad \vec\xi^{(l)} = \vec b^{(l)} + W^{(l)}\vec h^{(l-1)}, \qquad "
                    r"\vec h^{(l)} = g(\vec\xi^{(l)}), \qquad \hat y = \vec h^{(L)}"),
        ("objective", r"J = \mathcal{L} + \lambda\Omega, \qquad \Omega = \frac{1}{2}\sum_l \|W^{(l)}\|^2"),
        ("backward, l = L down to 1", r"\nabla_{W^{(l)}}J = \sum_i \nabla_{\vec\xi_i^{(l)}}J\,\vec h_i^{(l-1),T} + "
                                 r"\lambda W^{(l)}, \qquad \nabla_{\vec b^{(l)}}J = \sum_i \nabla_{\vec\xi_i^{(l)}}J"),
        ("", r"\nabla_{\vec\xi_i^{(l-1)}}J = \dot\sigma(\vec\xi_i^{(l-1)}) \odot "
             r"W^{(l),T}\nabla_{\vec\xi_i^{(l)}}J, \qquad W \leftarrow W - \eta\nabla_W J"),
    )),
    FormulaGroup("Computational graphs and flow graphs", ("backprop.graph", "backprop.total-derivative"), (
        ("gates", r"f = x + y:\ \frac{\partial L}{\partial x} = \frac{\partial L}{\partial f}; \quad "
                  r"f = xy:\ \frac{\partial L}{\partial x} = y\frac{\partial L}{\partial f}"),
        ("", r"f = \max(x, y):\ \frac{\partial L}{\partial f} \text{ goes to the larger input, } "
             r"0 \text{ to the other}"),
        ("total derivative (every path)", r"\frac{d\hat y}{dx} = \sum_{i=0}^{N-1} \frac{d\hat y}{dh_i}"
                                          r"\frac{\partial h_i}{\partial x}"),
    )),
    FormulaGroup("Losses", ("loss.", "derive.bce-gradient", "backprop.two-layer", "backprop.mlp",
                            "detection.bbox-loss"), (
        ("MSE: ECE 417; CMU 16-785", r"\mathcal{L} = \frac{1}{2n}\sum_{i=1}^n \|\vec y_i - \hat y_i\|^2; \qquad "
                                     r"\mathcal{L} = \frac{1}{n}\sum_{i=1}^n \|\vec y_i - \hat y_i\|^2"),
        ("binary cross-entropy", r"\mathcal{L}_{BCE} = -\frac{1}{n}\sum_{i=1}^n \bigl[y_i\ln\hat y_i + "
                                 r"(1 - y_i)\ln(1 - \hat y_i)\bigr]"),
        ("", r"\hat y_i = \sigma(\xi_i):\quad "
             r"\frac{\partial\mathcal{L}}{\partial\xi_i} = -\frac{1}{n}(y_i - \hat y_i)"),
        ("cross-entropy, one-hot targets", r"\mathcal{L}_{CE} = -\frac{1}{n}\sum_{i=1}^n\sum_{k=1}^K "
                                           r"y_{ki}\ln\hat y_{ki}"),
        ("multiclass SVM (CS231n)", r"L_i = \sum_{j \ne y_i} \max(0,\ s_j - s_{y_i} + \Delta), \qquad "
                                    r"L = \frac{1}{N}\sum_i L_i"),
        ("regularization: L2; L1", r"R(W) = \sum_{ij} W_{ij}^2,\ \ \nabla_W = 2\lambda W; \qquad "
                                   r"R(W) = \sum_{ij}|W_{ij}|,\ \ \nabla_W = \lambda\,\mathrm{sign}(W)"),
    )),
    FormulaGroup("Softmax", ("softmax.", "derive.ce-softmax-gradient", "derive.softmax-two-class", "loss.ce",
                             "backprop.two-layer", "backprop.mlp", "rnn."), (
        ("softmax (unchanged by a common shift of z)", r"\hat y_k = \frac{\exp(z_k)}{\sum_{\ell=1}^K \exp(z_\ell)}"),
        ("with cross-entropy", r"\mathcal{L} = -\sum_k y_k \ln\hat y_k, \qquad "
                               r"\frac{\partial\mathcal{L}}{\partial\vec z} = \hat y - \vec y"),
        ("two classes", r"\frac{e^{\bar w_1\vec h}}{e^{\bar w_1\vec h} + e^{\bar w_2\vec h}} = "
                        r"\sigma\bigl((\bar w_1 - \bar w_2)\vec h\bigr)"),
    )),
    FormulaGroup("Convolution and pooling sizes (CS231n)", ("conv.output-size", "conv.param-count",
                                                            "pool.output-size", "derive.conv-output-size"), (
        ("conv layer", r"W_2 = \frac{W_1 - F + 2P}{S} + 1,\quad H_2 = \frac{H_1 - F + 2P}{S} + 1,\quad D_2 = K"),
        ("parameters", r"F^2 D_1 K \text{ weights} + K \text{ biases}"),
        ("pooling", r"W_2 = \frac{W_1 - F}{S} + 1,\quad H_2 = \frac{H_1 - F}{S} + 1,\quad D_2 = D_1"),
        ("", r"\text{a size that is not a whole number: the layer does not fit}"),
    )),
    FormulaGroup("Convolution and max pooling, forward and back", ("conv.forward", "conv.backward",
                                                                   "pool.max-backward"), (
        ("convolution (ECE 417)", r"\xi^{(l)}[m,n,d] = \sum_c\sum_{m'}\sum_{n'} w^{(l)}[m-m', n-n', c, d]\,"
                                  r"h^{(l-1)}[m', n', c]"),
        ("cross-correlation (CS231n, 16-785)", r"\xi^{(l)}[i,j,d] = \sum_c\sum_m\sum_n h^{(l-1)}[i+m, j+n, c]\,"
                                               r"w^{(l)}[m, n, c, d]"),
        ("back-prop", r"\frac{\partial\mathcal{L}}{\partial w[m,n]} = \sum_{i,j} "
                      r"\frac{\partial\mathcal{L}}{\partial\xi[i,j]}\, h[i+m, j+n]"),
        ("", r"\frac{\partial\mathcal{L}}{\partial h} = \text{full convolution of } "
             r"\frac{\partial\mathcal{L}}{\partial\xi} \text{ with } w"),
        ("max pooling", r"\frac{d\mathcal{L}}{dh[m,n]} \text{ goes to the argmax of its window, } 0 "
                        r"\text{ elsewhere; overlaps add}"),
    )),
    FormulaGroup("Detection (ECE 417)", ("detection.",), (
        ("intersection (I = 0 without overlap)",
         r"I = \bigl(\min(x_{REF} + w_{REF}, x_{ROI} + w_{ROI}) - \max(x_{REF}, x_{ROI})\bigr)"),
        ("", r"\quad\times\bigl(\min(y_{REF} + h_{REF}, y_{ROI} + h_{ROI}) - \max(y_{REF}, y_{ROI})\bigr)"),
        ("union, IoU", r"U = w_{REF}h_{REF} + w_{ROI}h_{ROI} - I, \qquad IOU = \frac{I}{U}"),
        ("regression target", r"\vec y_r = \Bigl[\frac{x_{REF} - x_a}{w_a},\ \frac{y_{REF} - y_a}{h_a},\ "
                              r"\ln\frac{w_{REF}}{w_a},\ \ln\frac{h_{REF}}{h_a}\Bigr]^T"),
        ("loss", r"\mathcal{L} = \mathcal{L}_c + \mathcal{L}_r, \qquad \mathcal{L}_c = \text{BCE of } \hat y_c"),
        ("", r"\mathcal{L}_r = \frac{1}{2}\frac{\sum_i y_{c,i}\|\vec y_{r,i} - \hat y_{r,i}\|^2}{\sum_i y_{c,i}}"),
    )),
    FormulaGroup("Recurrent networks", ("rnn.",), (
        ("nonlinear IIR (ECE 417)", r"h[n] = \sigma\Bigl(x[n] + \sum_{m=1}^{M-1} w[m]h[n-m]\Bigr), \qquad "
                                    r"\mathcal{L} = \frac{1}{2}\sum_n (h[n] - y[n])^2"),
        ("back-propagation through time", r"\frac{d\mathcal{L}}{dh[n]} = \frac{\partial\mathcal{L}}{\partial h[n]}"
                                          r" + \sum_{m \ge 1}\frac{d\mathcal{L}}{dh[n+m]}"
                                          r"\frac{\partial h[n+m]}{\partial h[n]}"),
        ("RNN (CMU 16-785)", r"a^{(t)} = b + Wh^{(t-1)} + Ux^{(t)}, \qquad h^{(t)} = \tanh a^{(t)}"),
        ("", r"o^{(t)} = c + Vh^{(t)}, \qquad \hat y^{(t)} = \mathrm{softmax}\,o^{(t)}, \qquad "
             r"\nabla_{o^{(t)}}L = \hat y^{(t)} - \mathbf{1}_{y^{(t)}}"),
        ("its gradients", r"\nabla_{h^{(t)}}L = W^T\mathrm{diag}\bigl(1 - (h^{(t+1)})^2\bigr)"
                          r"\nabla_{h^{(t+1)}}L + V^T\nabla_{o^{(t)}}L"),
        ("", r"\nabla_V L = \sum_t \nabla_{o^{(t)}}L\,h^{(t)T}, \qquad \nabla_c L = \sum_t \nabla_{o^{(t)}}L"),
        ("", r"\nabla_W L = \sum_t \mathrm{diag}\bigl(1 - (h^{(t)})^2\bigr)\nabla_{h^{(t)}}L\,h^{(t-1)T}"),
    )),
    FormulaGroup("LSTM (ECE 417)", ("lstm.", "derive.lstm-dldc"), (
        ("gates", r"i[t] = \sigma(w_i x[t] + u_i h[t-1] + b_i), \text{ and likewise } o[t],\ f[t]"),
        ("cell and output", r"c[t] = f[t]c[t-1] + i[t]\tanh(w_c x[t] + u_c h[t-1] + b_c)"),
        ("", r"h[t] = o[t]c[t]"),
        ("back-propagation", r"\frac{d\mathcal{L}}{dh[t]} = \frac{\partial\mathcal{L}}{\partial h[t]} + "
                             r"\sum_{\xi\in\{i,o,f,c\}}\frac{d\mathcal{L}}{d\xi[t+1]}"
                             r"\frac{\partial\xi[t+1]}{\partial h[t]}"),
        ("", r"\frac{d\mathcal{L}}{dc[t]} = \frac{d\mathcal{L}}{dh[t]}\frac{\partial h[t]}{\partial c[t]} + "
             r"\frac{d\mathcal{L}}{dc[t+1]}\frac{\partial c[t+1]}{\partial c[t]}"),
        ("", r"\frac{d\mathcal{L}}{do[t]} = \frac{d\mathcal{L}}{dh[t]}\frac{\partial h[t]}{\partial o[t]}, \quad "
             r"\frac{d\mathcal{L}}{di[t]} = \frac{d\mathcal{L}}{dc[t]}\frac{\partial c[t]}{\partial i[t]}, \quad "
             r"\frac{d\mathcal{L}}{df[t]} = \frac{d\mathcal{L}}{dc[t]}\frac{\partial c[t]}{\partial f[t]}"),
    )),
    FormulaGroup("GRU (CS231n)", ("gru.",), (
        ("gates", r"r_t = \sigma(W_{xr}x_t + W_{hr}h_{t-1} + b_r), \quad z_t = \sigma(W_{xz}x_t + "
                  r"W_{hz}h_{t-1} + b_z)"),
        ("state", r"\tilde h_t = \tanh\bigl(W_{xh}x_t + W_{hh}(r_t \odot h_{t-1}) + b_h\bigr)"),
        ("", r"h_t = z_t \odot h_{t-1} + (1 - z_t) \odot \tilde h_t"),
    )),
    FormulaGroup("Optimizers (CS231n)", ("optim.",), (
        ("SGD; momentum", r"x_{t+1} = x_t - \alpha\nabla f(x_t); \qquad v_{t+1} = \rho v_t + \nabla f(x_t),\ "
                          r"x_{t+1} = x_t - \alpha v_{t+1}"),
        ("AdaGrad; RMSProp", r"g_t = g_{t-1} + (\nabla f)^2; \qquad g_t = \gamma g_{t-1} + (1 - \gamma)"
                             r"(\nabla f)^2"),
        ("", r"x_{t+1} = x_t - \frac{\alpha\nabla f}{\sqrt{g_t + \epsilon}}"),
        ("Adam", r"m_t = \beta_1 m_{t-1} + (1 - \beta_1)\nabla f, \qquad v_t = \beta_2 v_{t-1} + (1 - \beta_2)"
                 r"(\nabla f)^2"),
        ("", r"\tilde m_t = \frac{m_t}{1 - \beta_1^t},\quad \tilde v_t = \frac{v_t}{1 - \beta_2^t},\quad "
             r"x_{t+1} = x_t - \frac{\alpha\tilde m_t}{\sqrt{\tilde v_t + \epsilon}}"),
    )),
    FormulaGroup("Batch normalization (CS231n)", ("batchnorm.",), (
        ("per dimension k", r"\mu = \frac{1}{m}\sum_i x_i, \qquad \sigma^2 = \frac{1}{m}\sum_i (x_i - \mu)^2"),
        ("", r"\hat x_i = \frac{x_i - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad y_i = \gamma\hat x_i + \beta"),
    )),
    FormulaGroup("Nearest neighbours (CS231n)", ("knn.",), (
        ("distances", r"d_1(\vec x, \vec X_i) = \sum_p |x_p - X_{ip}|, \qquad "
                      r"d_2(\vec x, \vec X_i) = \sqrt{\sum_p (x_p - X_{ip})^2}"),
        ("k-NN", r"\text{the } k \text{ nearest training points vote; the majority label wins}"),
    )),
)


def _serves(group: FormulaGroup, family_id: str) -> bool:
    return any(family_id == f or (f.endswith(".") and family_id.startswith(f)) for f in group.families)


def groups_for(family_ids) -> list[FormulaGroup]:
    """The groups the families need, in the table's order (each once)."""
    ids = list(family_ids)
    return [g for g in FORMULAS if any(_serves(g, i) for i in ids)]


def _family_ids(pset) -> list[str]:
    return [p.variant.id for p in pset.problems]


def formula_sheet_latex(pset) -> str:
    """The formula sheet of ``pset`` as a LaTeX document: two columns, small type, one or two pages."""
    from nncheck.export.mathtext import latex_escape_text

    body: list[str] = []
    for g in groups_for(_family_ids(pset)):
        body.append(r"\sheetgroup{" + latex_escape_text(g.title) + "}")
        for label, tex in g.formulas:
            if label:
                body.append(r"\sheetlabel{" + latex_escape_text(label) + "}")
            body.append(r"\sheetformula{" + tex + "}")
    if not body:
        body.append("No formulas are needed for these problems.")
    title = latex_escape_text(f"Formula sheet: {pset.title}")
    return "\n".join([
        r"\documentclass[10pt]{article}",
        r"\usepackage{amsmath,amssymb}",
        r"\usepackage[letterpaper,margin=1.6cm]{geometry}",
        r"\usepackage{multicol,adjustbox,needspace}",
        r"\setlength{\parindent}{0pt}",
        r"\setlength{\columnsep}{1.2cm}",
        r"\pagestyle{empty}",
        r"\newcommand{\sheetgroup}[1]{\par\needspace{6\baselineskip}\medskip{\normalsize\bfseries #1}\par"
        r"\nopagebreak\smallskip}",
        r"\newcommand{\sheetlabel}[1]{\par\needspace{3\baselineskip}{\footnotesize\itshape #1}\par\nopagebreak}",
        r"\newcommand{\sheetformula}[1]{\par\adjustbox{max width=\columnwidth}{$\displaystyle #1$}\par"
        r"\vspace{3pt}}",
        r"\begin{document}",
        r"\begin{center}{\large\bfseries " + title + r"}\end{center}",
        r"\begin{multicols}{2}",
        r"\small",
        *body,
        r"\end{multicols}",
        r"\end{document}",
        "",
    ])


def formula_sheet_markdown(pset) -> str:
    """The formula sheet of ``pset`` as Markdown: a heading per group, each formula in ``$$…$$``."""
    from nncheck.export.mathtext import md_escape

    out = [f"# Formula sheet: {md_escape(pset.title)}", ""]
    for g in groups_for(_family_ids(pset)):
        out += [f"## {md_escape(g.title)}", ""]
        for label, tex in g.formulas:
            if label:
                out += [f"*{md_escape(label)}*", ""]
            out += ["$$", tex, "$$", ""]
    return "\n".join(out).rstrip() + "\n"
