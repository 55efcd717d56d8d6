"""F.linear, F.bilinear: products through the C core's GEMM (addmm, matmul)."""
from ... import _C

__all__ = ["linear", "bilinear"]


def linear(input, weight, bias=None):
    """y = input @ weight.T + bias over the last dim of input (any leading dims)."""
    if input.dim() == 2 and bias is not None:
        return _C.addmm(bias, input, weight.t())
    if input.dim() > 2:   # leading dims flattened into one GEMM, then restored
        out = linear(input.reshape(-1, input.shape[-1]), weight, bias)
        return out.view(*input.shape[:-1], out.shape[-1])
    out = input.matmul(weight.t())
    return out if bias is None else out + bias


def bilinear(input1, input2, weight, bias=None):
    """y[..., o] = sum_nm input1[..., n] weight[o, n, m] input2[..., m] + bias[o]."""
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got {list(input1.shape[:-1])} and "
                           f"{list(input2.shape[:-1])}")
    if weight.dim() != 3 or input1.shape[-1] != weight.shape[1] or input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear(): input sizes {input1.shape[-1]} and {input2.shape[-1]} do not match the weight "
                           f"of size {list(weight.shape)}")
    lead = input1.shape[:-1]
    x1 = input1.reshape(-1, input1.shape[-1])
    x2 = input2.reshape(-1, input2.shape[-1])
    out_f, n, m = weight.shape
    # x1 @ W viewed as [n, out*m]: one GEMM, then the product with x2 summed over m
    t = x1.matmul(weight.permute(1, 0, 2).reshape(n, out_f * m)).view(-1, out_f, m)
    y = (t * x2.unsqueeze(1)).sum(-1)
    if bias is not None:
        y = y + bias
    return y.view(*lead, out_f)
