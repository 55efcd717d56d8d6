"""ctorch.utils.summary: the torchsummary package's Keras-style model table
(layers with output shapes and parameter counts, totals, memory estimate),
from one forward pass with forward hooks."""
import math
from collections import OrderedDict

import ctorch as torch
from ctorch import nn

__all__ = ["summary", "summary_string"]

_RULE = "-" * 64
_DOUBLE_RULE = "=" * 64


def _layer_record(module, output, batch_size):
    """Output shape (batch dim = batch_size; -1 for each of several outputs) and
    the weight + bias count of one layer, as torchsummary counts them."""
    record = {}
    if isinstance(output, (list, tuple)):
        record["output_shape"] = [[-1] + list(o.size())[1:] for o in output]
    else:
        record["output_shape"] = [batch_size] + list(output.size())[1:]
    params = 0
    weight, bias = getattr(module, "weight", None), getattr(module, "bias", None)
    if hasattr(weight, "size"):
        params += weight.numel()
        record["trainable"] = weight.requires_grad
    if hasattr(bias, "size"):
        params += bias.numel()
    record["nb_params"] = params
    return record


def _collect(model, inputs, batch_size):
    """{"<Class>-<n>": record} of every layer the forward pass runs, in call order
    (containers and the model itself are not rows)."""
    layers = OrderedDict()

    def hook(module, args, output):
        layers[f"{type(module).__name__}-{len(layers) + 1}"] = _layer_record(module, output, batch_size)

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if not isinstance(m, (nn.Sequential, nn.ModuleList)) and m is not model]
    try:
        model(*inputs)
    finally:
        for h in handles:
            h.remove()
    return layers


def _nested_prod(shape):
    return math.prod(_nested_prod(s) for s in shape) if isinstance(shape, list) else shape


def summary_string(model, input_size, batch_size=-1, device="cpu", dtypes=None):
    """(the table as text, (total params, trainable params))."""
    device = torch.device(device) if isinstance(device, str) else device
    if device.type not in ("cpu", "cuda"):
        raise ValueError("Input device is not valid, please specify 'cuda' or 'cpu'")
    if isinstance(input_size, tuple):
        input_size = [input_size]
    dtypes = dtypes if dtypes is not None else [torch.float32] * len(input_size)
    # a batch of 2, for batch norm
    inputs = [torch.rand(2, *size).type(dtype).to(device=device) for size, dtype in zip(input_size, dtypes)]
    layers = _collect(model, inputs, batch_size)

    lines = [_RULE, "{:>20}  {:>25} {:>15}".format("Layer (type)", "Output Shape", "Param #"), _DOUBLE_RULE]
    total_params = total_output = trainable_params = 0
    for name, layer in layers.items():
        row = (name, str(layer["output_shape"]), "{0:,}".format(layer["nb_params"]))
        lines.append("{:>20}  {:>25} {:>15}".format(*row))
        total_params += layer["nb_params"]
        total_output += _nested_prod(layer["output_shape"])
        if layer.get("trainable"):
            trainable_params += layer["nb_params"]
    # 4 bytes a number; activations counted twice (their gradients)
    mb = 1024 ** 2.0
    input_mb = abs(math.prod(d for size in input_size for d in size) * batch_size * 4.0 / mb)
    output_mb = abs(2.0 * total_output * 4.0 / mb)
    params_mb = abs(total_params * 4.0 / mb)
    lines += [_DOUBLE_RULE, "Total params: {0:,}".format(total_params),
              "Trainable params: {0:,}".format(trainable_params),
              "Non-trainable params: {0:,}".format(total_params - trainable_params), _RULE,
              "Input size (MB): %0.2f" % input_mb, "Forward/backward pass size (MB): %0.2f" % output_mb,
              "Params size (MB): %0.2f" % params_mb,
              "Estimated Total Size (MB): %0.2f" % (params_mb + output_mb + input_mb), _RULE]
    return "\n".join(lines) + "\n", (total_params, trainable_params)


def summary(model, input_size, batch_size=-1, device="cpu", dtypes=None):
    """Print the table; return (total params, trainable params)."""
    text, params_info = summary_string(model, input_size, batch_size, device, dtypes)
    print(text)
    return params_info
