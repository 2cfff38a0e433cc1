"""Practice: quiz, exam and review sessions, their history store and the review schedule."""
