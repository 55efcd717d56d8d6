"""ctorch.backends.cudnn: cuDNN switches. The flags are read by the CUDA backend's convolutions."""
enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available():
    """True when the CUDA backend was built with cuDNN and a device exists."""
    from .. import cuda

    m = cuda._module()
    return bool(m is not None and cuda.is_available() and getattr(m, "cudnn_version", lambda: None)())


def version():
    """The cuDNN version as an int (e.g. 90100), or None without cuDNN."""
    from .. import cuda

    m = cuda._module()
    return m.cudnn_version() if m is not None and hasattr(m, "cudnn_version") else None
