"""The Panel dashboard and the ``xysiting`` command line: the top of the dependency chain.

Nothing imports ``dashboard``.  Importing the package is light; Panel is imported only by
the modules that build the app.
"""
