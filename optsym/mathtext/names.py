"""The names prose uses for mathematics, and how LaTeX writes them."""

from __future__ import annotations

GREEK = {name: "\\" + name for name in (
    "alpha", "beta", "gamma", "delta", "zeta", "eta", "theta", "iota", "kappa", "lambda",
    "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega",
    "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega")}
GREEK |= {"eps": r"\epsilon", "epsilon": r"\epsilon", "varepsilon": r"\varepsilon",
          "lam": r"\lambda"}
#: big operators: mathematics when a subscript follows (``sum_{j <= T}``), else words
SCRIPTED = {"sum": r"\sum", "prod": r"\prod", "int": r"\int"}
#: functions that may be applied without brackets (``cos phi``)
BARE = ("cos", "sin", "tan", "log", "ln", "exp")
#: functions written name(...) in prose, and how LaTeX writes them
FUNCTIONS = {"log": r"\log", "ln": r"\ln", "exp": r"\exp", "max": r"\max", "min": r"\min",
             "det": r"\det", "sin": r"\sin", "cos": r"\cos", "tan": r"\tan",
             "arctan": r"\arctan", "lim": r"\lim", "sup": r"\sup", "inf": r"\inf",
             "tr": r"\operatorname{tr}", "diag": r"\operatorname{diag}",
             "sign": r"\operatorname{sign}", "erf": r"\operatorname{erf}",
             "artanh": r"\operatorname{artanh}", "Var": r"\operatorname{Var}",
             "grad": r"\nabla"}
#: other names that are mathematics wherever they stand
NAMES = {"oo": r"\infty", "lr": r"\mathrm{lr}", "int": r"\int",
         "Var": r"\operatorname{Var}"}
#: two-letter English words (never a product of two variables)
ENGLISH2 = {"is", "of", "to", "in", "on", "at", "by", "as", "or", "if", "so", "be", "it", "we",
            "an", "no", "do", "up", "us", "me", "my", "he", "am", "go", "ok", "vs"}
OPERATORS = {"<-": r"\gets", "<=": r"\le", ">=": r"\ge", "!=": r"\ne", "->": r"\to", "==": "=",
             "~": r"\sim",
             "=": "=", "<": "<", ">": ">", "+": "+", "-": "-", "/": "/", "|": "|",
             "||": r"\|", "+-": r"\pm"}
