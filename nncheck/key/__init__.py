"""The answer key: computed twice (SymPy and NumPy), compared, refused on disagreement.

* :mod:`.model`    :class:`AnswerKey` and :class:`KeyPart`, and the problem fingerprint;
* :mod:`.compute`  :func:`answer_key`: the two computations, their agreement, the mistakes kept;
* :mod:`.grade`    :func:`grade`: an answer against a part of a key.
"""
