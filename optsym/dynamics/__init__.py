r"""Training dynamics: what an optimizer does over the steps, measured on optsym's generated code.

* :mod:`optsym.dynamics.stepper`: a rule's generated step, driven by any gradient stream (the
  objective's exact gradient, optionally with Gaussian noise, or a given sequence);
* :mod:`optsym.dynamics.curves`: loss, gradient norm, learning rate, distance to the optimum
  and update size against the step, over repeated noisy runs as median and band;
* :mod:`optsym.dynamics.sweep`: final loss against the learning rate per rule, each rule's best;
* :mod:`optsym.dynamics.clipped`: the generated gradient clipping composed with a stream;
* :mod:`optsym.dynamics.noise_floor`: minibatch SGD on least squares, its floor against the
  ``sgd-noise`` derivation, batch size and the linear scaling rule;
* :mod:`optsym.dynamics.claims`: the course's statements about behaviour, each a check that
  can fail, with the numbers measured (the cliff and clipping in ``claims_clipping``, Nesterov
  vs heavy ball vs GD in ``claims_nesterov``, Newton drawn to a saddle in ``claims_newton``,
  resuming Adam without its state in ``claims_resume``);
* :mod:`optsym.dynamics.claim_figures`: the figures of the claims that have one.
"""
