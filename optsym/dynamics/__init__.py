r"""Training dynamics: what an optimizer does over the steps, measured on optsym's generated code.

* :mod:`optsym.dynamics.stepper`: a rule's generated step, driven by any gradient stream (the
  objective's exact gradient, optionally with Gaussian noise, or a given sequence);
* :mod:`optsym.dynamics.curves`: loss, gradient norm, learning rate, distance to the optimum
  and update size against the step, over repeated noisy runs as median and band;
* :mod:`optsym.dynamics.sweep`: final loss against the learning rate per rule, each rule's best;
* :mod:`optsym.dynamics.claims`: the course's statements about behaviour, each a check that
  can fail, with the numbers measured.
"""
