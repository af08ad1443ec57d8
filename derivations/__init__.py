"""Course derivations built on the optsym library, one topic per module.

Installed as ``optsym.derivations``.  The convergence derivations (GD on a quadratic, heavy ball,
Nesterov, ...) arrive with their own issue; nothing here is claimed to work yet.
"""
