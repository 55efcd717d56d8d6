"""The families of torch.nn.functional, one file each; nn/functional.py re-exports them."""
