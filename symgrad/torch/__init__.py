"""The PyTorch bridge: a model traced by ``torch.fx`` into known operations
(:mod:`.graph`), unit permutations that leave the loss unchanged (:mod:`.symmetry`,
the proofs), exact and interval forward and backward passes (:mod:`.exact_tensor`,
the witnesses), and prove / collapse / simulate for ``nn.Module`` s (:mod:`.models`).

Importing this package needs neither torch nor numpy: they are imported when a
model is traced (``pip install 'symgrad[torch]'``).
"""
