"""Wrong calls raise PyTorch's exception class with PyTorch's message, and the
process stays healthy afterwards.

Each case is (id, call, exception class, message fragment). The class must be
exactly the one PyTorch raises (IndexError for dims and indices, TypeError
for wrong argument types, NotImplementedError for dtypes an op lacks, ...),
and the message must contain the fragment (matched literally).
"""
import re

import numpy as np
import pytest

from helpers import torch


def o(*shape, dtype=None):
    return torch.ones(*shape, dtype=dtype or torch.float32)


def i64(*shape):
    return torch.ones(*shape, dtype=torch.int64)


def setitem(t, idx, value):
    t[idx] = value


def inplace_div(t, v):
    t /= v


CASES = [
    # ----------------------------------------------------- matrix products
    ("mm-shapes", lambda: torch.mm(o(2, 3), o(4, 5)), RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"),
    ("matmul-op-shapes", lambda: o(2, 3) @ o(4, 5), RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"),
    ("mm-method-shapes", lambda: o(3, 7).mm(o(6, 2)), RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied (3x7 and 6x2)"),
    ("matmul-1d-1d", lambda: torch.matmul(o(3), o(4)), RuntimeError,
     "inconsistent tensor size, expected tensor [3] and src [4] to have the same number of "
     "elements, but got 3 and 4 elements respectively"),
    ("dot-sizes", lambda: torch.dot(o(3), o(4)), RuntimeError,
     "inconsistent tensor size, expected tensor [3] and src [4]"),
    ("dot-2d", lambda: torch.dot(o(2, 2), o(2, 2)), RuntimeError,
     "1D tensors expected, but got 2D and 2D tensors"),
    ("dot-dtypes", lambda: torch.dot(o(3), o(3, dtype=torch.float64)), RuntimeError,
     "dot : expected both vectors to have same dtype, but found Float and Double"),
    ("mv-sizes", lambda: torch.mv(o(2, 3), o(4)), RuntimeError,
     "size mismatch, got input (2), mat (2x3), vec (4)"),
    ("mv-2d-vec", lambda: torch.mv(o(2, 3), o(3, 1)), RuntimeError,
     "vector + matrix @ vector expected"),
    ("bmm-batch", lambda: torch.bmm(o(2, 3, 4), o(3, 4, 5)), RuntimeError,
     "Expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: [3, 4]."),
    ("bmm-inner", lambda: torch.bmm(o(2, 3, 4), o(2, 5, 6)), RuntimeError,
     "Expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: [2, 5]."),
    ("bmm-2d", lambda: torch.bmm(o(3, 4), o(4, 5)), RuntimeError, "batch1 must be a 3D tensor"),
    ("mm-vector", lambda: torch.mm(o(2, 3), o(3)), RuntimeError, "mat2 must be a matrix"),
    ("mm-3d", lambda: torch.mm(o(2, 3, 4), o(4, 5)), RuntimeError, "self must be a matrix"),
    ("matmul-0d", lambda: torch.tensor(2.0) @ o(2), RuntimeError,
     "both arguments to matmul need to be at least 1D, but they are 0D and 1D"),
    ("matmul-batch-broadcast", lambda: torch.matmul(o(2, 3, 4), o(3, 4, 5)), RuntimeError,
     "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0"),
    ("mm-dtypes", lambda: torch.mm(o(2, 3), o(3, 2, dtype=torch.float64)), RuntimeError,
     # (PyTorch < 2.5 says "mat1 and mat2")
     re.compile(r"expected (m1 and m2|mat1 and mat2) to have the same dtype, but got: "
                r"float != double")),
    ("matmul-dtypes", lambda: torch.matmul(o(2, 3), i64(3, 2)), RuntimeError,
     re.compile(r"to have the same dtype, but got: float != long int")),
    ("mm-bool", lambda: torch.mm(o(2, 2, dtype=torch.bool), o(2, 2, dtype=torch.bool)),
     NotImplementedError, "not implemented for 'Bool'"),
    ("addmm-input", lambda: torch.addmm(o(3, 3), o(2, 3), o(3, 2)), RuntimeError,
     "The expanded size of the tensor (2) must match the existing size (3)"),
    ("outer-2d", lambda: torch.outer(o(2, 2), o(2)), RuntimeError,
     "outer: Expected 1-D argument self, but got 2-D"),
    ("mm-extra-positional", lambda: o(2, 2).mm(o(2, 2), o(2, 2)), TypeError,
     "takes 1 positional argument but 2 were given"),
    # -------------------------------------------------------- broadcasting
    ("add-broadcast", lambda: o(2, 3) + o(2, 4), RuntimeError,
     "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1"),
    ("mul-broadcast", lambda: o(2, 3) * o(3, 2), RuntimeError,
     "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1"),
    ("maximum-broadcast", lambda: torch.maximum(o(3), o(4)), RuntimeError,
     "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 0"),
    ("where-broadcast", lambda: torch.where(o(3, dtype=torch.bool), o(4), o(3)), RuntimeError,
     "must match the size of tensor b (4) at non-singleton dimension 0"),
    ("lt-broadcast", lambda: o(2, 3) < o(3, 3), RuntimeError,
     "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0"),
    ("inplace-broadcast-output", lambda: torch.zeros(1, 3).add_(o(2, 3)), RuntimeError,
     "output with shape [1, 3] doesn't match the broadcast shape [2, 3]"),
    ("copy-broadcast", lambda: torch.zeros(2, 3).copy_(o(4)), RuntimeError,
     "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1"),
    ("setitem-shape", lambda: setitem(torch.zeros(2, 3), 0, o(4)), RuntimeError,
     "The expanded size of the tensor (3) must match the existing size (4) at non-singleton "
     "dimension 0.  Target sizes: [3].  Tensor sizes: [4]"),
    ("inplace-expanded", lambda: o(1, 3).expand(2, 3).add_(1), RuntimeError,
     "unsupported operation: more than one element of the written-to tensor refers to a single "
     "memory location. Please clone() the tensor before performing the operation."),
    # ---------------------------------------------------------- view/shape
    ("view-numel", lambda: o(6).view(5), RuntimeError, "shape '[5]' is invalid for input of size 6"),
    ("view-numel-2d", lambda: o(4).view(2, 3), RuntimeError,
     "shape '[2, 3]' is invalid for input of size 4"),
    ("view-two-minus-one", lambda: o(6).view(-1, -1), RuntimeError,
     "only one dimension can be inferred"),
    ("reshape-numel", lambda: o(6).reshape(4, 2), RuntimeError,
     "shape '[4, 2]' is invalid for input of size 6"),
    ("reshape-two-minus-one", lambda: torch.reshape(o(6), (-1, -1)), RuntimeError,
     "only one dimension can be inferred"),
    ("view-negative-size", lambda: o(6).view(-2, 3), RuntimeError,
     "invalid shape dimension -2"),
    ("view-strides", lambda: o(2, 3).t().view(6), RuntimeError,
     "view size is not compatible with input tensor's size and stride (at least one dimension "
     "spans across two contiguous subspaces). Use .reshape(...) instead."),
    ("view-empty-ambiguous", lambda: torch.zeros(0).view(-1, 0), RuntimeError,
     "cannot reshape tensor of 0 elements into shape [-1, 0] because the unspecified dimension "
     "size -1 can be any value and is ambiguous"),
    ("permute-too-few", lambda: o(2, 3).permute(0), RuntimeError,
     "number of dimensions in the tensor input does not match the length of the desired "
     "ordering of dimensions i.e. input.dim() = 2 is not equal to len(dims) = 1"),
    ("permute-too-many", lambda: o(2, 3).permute(0, 1, 2), RuntimeError,
     "input.dim() = 2 is not equal to len(dims) = 3"),
    ("permute-duplicate", lambda: o(2, 3).permute(0, 0), RuntimeError,
     "permute(): duplicate dims are not allowed."),
    ("permute-range", lambda: o(2, 3).permute(0, 2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    ("transpose-range", lambda: o(2, 3).transpose(0, 5), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 5)"),
    ("transpose-negative-range", lambda: o(2, 3).transpose(-3, 0), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got -3)"),
    ("t-3d", lambda: o(2, 3, 4).t(), RuntimeError,
     "t() expects a tensor with <= 2 dimensions, but self is 3D"),
    ("squeeze-range", lambda: o(2, 3).squeeze(5), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 5)"),
    ("squeeze-negative-range", lambda: o(2, 3).squeeze(-3), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got -3)"),
    ("unsqueeze-range", lambda: o(2, 3).unsqueeze(4), IndexError,
     "Dimension out of range (expected to be in range of [-3, 2], but got 4)"),
    ("unsqueeze-negative-range", lambda: o(2, 3).unsqueeze(-4), IndexError,
     "Dimension out of range (expected to be in range of [-3, 2], but got -4)"),
    ("unsqueeze-0d", lambda: torch.tensor(1.0).unsqueeze(2), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 2)"),
    ("size-range", lambda: o(2, 3).size(5), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 5)"),
    ("flatten-order", lambda: o(2, 3, 4).flatten(2, 1), RuntimeError,
     "flatten() has invalid args: start_dim cannot come after end_dim"),
    ("expand-size", lambda: o(2, 3).expand(2, 4), RuntimeError,
     "The expanded size of the tensor (4) must match the existing size (3) at non-singleton "
     "dimension 1.  Target sizes: [2, 4].  Tensor sizes: [2, 3]"),
    ("expand-trailing", lambda: torch.zeros(2, 3).expand(2, 3, 4), RuntimeError,
     "The expanded size of the tensor (4) must match the existing size (3) at non-singleton "
     "dimension 2.  Target sizes: [2, 3, 4].  Tensor sizes: [2, 3]"),
    ("expand-too-few", lambda: o(2, 3).expand(3), RuntimeError,
     "the number of sizes provided (1) must be greater or equal to the number of dimensions in "
     "the tensor (2)"),
    ("expand-leading-minus-one", lambda: o(3).expand(-1, 3), RuntimeError,
     "The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension 0"),
    ("narrow-length", lambda: o(5).narrow(0, 3, 4), RuntimeError,
     "start (3) + length (4) exceeds dimension size (5)."),
    ("narrow-negative-length", lambda: torch.zeros(3).narrow(0, 1, -1), RuntimeError,
     "narrow(): length must be non-negative."),
    ("narrow-start", lambda: o(5).narrow(0, -7, 1), IndexError,
     "start out of range (expected to be in range of [-5, 5], but got -7)"),
    ("narrow-dim", lambda: o(5).narrow(1, 0, 1), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
    ("select-index", lambda: o(2, 3).select(1, 3), IndexError,
     "select(): index 3 out of range for tensor of size [2, 3] at dimension 1"),
    ("select-dim", lambda: o(2, 3).select(2, 0), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    # ------------------------------------------------------------ indexing
    ("index-range", lambda: o(2, 3)[2], IndexError,
     "index 2 is out of bounds for dimension 0 with size 2"),
    ("index-negative-range", lambda: o(2, 3)[:, -4], IndexError,
     "index -4 is out of bounds for dimension 1 with size 3"),
    ("setitem-index-range", lambda: setitem(torch.zeros(2, 3), (0, 3), 1.0), IndexError,
     "index 3 is out of bounds for dimension 1 with size 3"),
    ("too-many-indices", lambda: o(2)[0, 0], IndexError,
     "too many indices for tensor of dimension 1"),
    ("index-0d", lambda: torch.tensor(1.0)[0], IndexError,
     "invalid index of a 0-dim tensor. Use `tensor.item()` in Python"),
    ("slice-step-zero", lambda: o(5)[::0], ValueError, "slice step cannot be zero"),
    ("slice-step-negative", lambda: o(5)[::-1], ValueError, "step must be greater than zero"),
    ("index-float", lambda: o(3)[1.5], IndexError,
     "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
     "indices (got float)"),
    # ------------------------------------------------ argument types/values
    ("zeros-str", lambda: torch.zeros("a"), TypeError,
     re.compile(r"zeros\(\): argument 'size' .*must be tuple of ints")),
    ("tensor-object", lambda: torch.tensor(object()), RuntimeError, "Could not infer dtype of object"),
    ("tensor-str-element", lambda: torch.tensor([1, "a"]), TypeError, "invalid data type 'str'"),
    ("tensor-ragged", lambda: torch.tensor([[1, 2], [3]]), ValueError,
     "expected sequence of length 2 at dim 1 (got 1)"),
    ("zeros-unknown-kw", lambda: torch.zeros(2, foo=1), TypeError,
     "zeros() got an unexpected keyword argument 'foo'"),
    ("sum-unknown-kw", lambda: o(2).sum(foo=1), TypeError,
     re.compile(r"sum\(\) (received an invalid combination of arguments|"
                r"got an unexpected keyword argument 'foo')")),
    ("zeros-dtype-str", lambda: torch.zeros(2, dtype="float"), TypeError,
     "torch.dtype, not str"),
    ("full-str-fill", lambda: torch.full((2,), "a"), TypeError,
     re.compile(r"full\(\): argument 'fill_value' .*must be Number, not str")),
    ("view-str-size", lambda: o(2).view(2, "a"), TypeError, "view(): argument 'size'"),
    ("add-extra-positional", lambda: o(2).add(o(2), o(2)), TypeError,
     "add() takes 1 positional argument but 2 were given"),
    ("round-float-decimals", lambda: torch.zeros(2).round(decimals=1.5), TypeError,
     "round(): argument 'decimals' must be int, not float"),
    ("cumsum-no-dim", lambda: o(2, 3).cumsum(), TypeError,
     'cumsum() missing 1 required positional arguments: "dim"'),
    ("logsumexp-no-dim", lambda: o(2, 3).logsumexp(), TypeError,
     'logsumexp() missing 1 required positional arguments: "dim"'),
    ("ones-negative", lambda: torch.ones(-1), RuntimeError,
     "Trying to create tensor with negative dimension -1: [-1]"),
    ("empty-negative", lambda: torch.empty(2, -3), RuntimeError,
     "Trying to create tensor with negative dimension -3: [2, -3]"),
    ("eye-negative", lambda: torch.eye(-1), RuntimeError, "n must be greater or equal to 0, got -1"),
    ("arange-zero-step", lambda: torch.arange(0, 5, 0), RuntimeError, "step must be nonzero"),
    ("arange-step-sign", lambda: torch.arange(0, 5, -1), RuntimeError,
     "bound inconsistent with step sign"),
    ("linspace-negative-steps", lambda: torch.linspace(0, 1, -1), RuntimeError,
     "number of steps must be non-negative"),
    ("linspace-float-steps", lambda: torch.linspace(0, 1, 2.5), TypeError,
     "linspace()"),
    ("set-default-dtype-int", lambda: torch.set_default_dtype(torch.int64), TypeError,
     "only floating-point types are supported as the default type"),
    ("fill-1d-value", lambda: torch.tensor([1, 2]).fill_(o(2)), RuntimeError,
     "fill_ only supports 0-dimension value tensor but got tensor with 1 dimensions."),
    # -------------------------------------------------------------- dtypes
    ("and-float", lambda: o(2) & o(2), NotImplementedError,
     "\"bitwise_and_cpu\" not implemented for 'Float'"),
    ("lshift-float", lambda: o(2) << 1, NotImplementedError,
     "\"lshift_cpu\" not implemented for 'Float'"),
    ("invert-float", lambda: ~o(2), TypeError,
     "~ (operator.invert) is only implemented on integer and Boolean-type tensors"),
    ("inplace-float-into-long", lambda: i64(2).add_(1.5), RuntimeError,
     "result type Float can't be cast to the desired output type Long"),
    ("int-true-divide-inplace", lambda: inplace_div(i64(2), 2), RuntimeError,
     "result type Float can't be cast to the desired output type Long"),
    ("inplace-long-into-bool", lambda: o(2, dtype=torch.bool).mul_(2), RuntimeError,
     "result type Long can't be cast to the desired output type Bool"),
    ("inplace-exp-on-long", lambda: torch.tensor([1, 2]).exp_(), RuntimeError,
     "result type Float can't be cast to the desired output type Long"),
    ("neg-bool", lambda: -o(2, dtype=torch.bool), RuntimeError,
     "Negation, the `-` operator, on a bool tensor is not supported."),
    ("sub-bool", lambda: o(2, dtype=torch.bool) - o(2, dtype=torch.bool), RuntimeError,
     "Subtraction, the `-` operator, with two bool tensors is not supported."),
    ("sub-bool-scalar", lambda: torch.tensor([True]).sub(1), RuntimeError,
     "Subtraction, the `-` operator, with a bool tensor is not supported."),
    ("abs-bool", lambda: torch.tensor([True]).abs(), NotImplementedError,
     "not implemented for 'Bool'"),
    ("round-decimals-int", lambda: o(2, dtype=torch.int32).round(decimals=1), NotImplementedError,
     "not implemented for 'Int'"),
    ("int-floordiv-zero", lambda: i64(3) // 0, RuntimeError, "ZeroDivisionError"),
    ("int-mod-zero", lambda: i64(3) % torch.zeros(3, dtype=torch.int64), RuntimeError,
     "ZeroDivisionError"),
    ("int-negative-power", lambda: i64(3) ** -1, RuntimeError,
     "Integers to negative integer powers are not allowed."),
    ("clamp-no-bounds", lambda: torch.clamp(o(2)), RuntimeError,
     "torch.clamp: At least one of 'min' or 'max' must not be None"),
    ("where-float-condition", lambda: torch.where(o(2), 1, 2), RuntimeError,
     "where expected condition to be a boolean tensor, but got a tensor with dtype Float"),
    ("addcdiv-int", lambda: torch.addcdiv(i64(2), i64(2), i64(2)), RuntimeError,
     "Integer division with addcdiv is no longer supported"),
    ("add-float-alpha-int", lambda: torch.add(i64(2), i64(2), alpha=0.5), RuntimeError,
     "For integral input tensors, argument alpha must not be a floating point number."),
    ("lerp-dtypes", lambda: o(2).lerp(o(2, dtype=torch.float64), 0.5), RuntimeError,
     "expected dtype float for `end` but got dtype double"),
    ("arange-bool", lambda: torch.arange(0, 5, 1, dtype=torch.bool), NotImplementedError,
     "not implemented for 'Bool'"),
    # ---------------------------------------------------------- reductions
    ("mean-int", lambda: i64(3).mean(), RuntimeError,
     "mean(): could not infer output dtype. Input dtype must be either a floating point or "
     "complex dtype. Got: Long"),
    ("std-int", lambda: i64(3).std(), RuntimeError,
     "std and var only support floating point and complex dtypes"),
    ("norm-int", lambda: i64(3).norm(), RuntimeError,
     "Expected a floating point or complex tensor as input. Got Long"),
    ("max-empty", lambda: torch.zeros(0).max(), RuntimeError,
     "max(): Expected reduction dim to be specified for input.numel() == 0."),
    ("max-empty-dim", lambda: torch.zeros(3, 0).max(1), IndexError,
     "max(): Expected reduction dim 1 to have non-zero size."),
    ("argmax-bool", lambda: o(2, dtype=torch.bool).argmax(), RuntimeError,
     "argmax(): does not support bool input"),
    ("sum-dim-range", lambda: o(2, 3).sum(5), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 5)"),
    ("sum-0d-dim-range", lambda: torch.tensor(5.0).sum(1), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
    ("sum-repeated-dims", lambda: o(2, 3).sum((0, 0)), RuntimeError,
     "dim 0 appears multiple times in the list of dims"),
    ("max-dim-range", lambda: o(2, 3).max(dim=2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    ("argmax-dim-range", lambda: o(2, 3).argmax(2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    ("cumsum-dim-range", lambda: o(2, 3).cumsum(2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    ("norm-fro-three-dims", lambda: o(2, 3).norm(dim=(0, 1, 2)), RuntimeError,
     "dim must be a 2-tuple"),
    # -------------------------------------------------- python conversions
    ("item-many", lambda: o(2).item(), RuntimeError,
     "a Tensor with 2 elements cannot be converted to Scalar"),
    ("item-empty", lambda: torch.zeros(0).item(), RuntimeError,
     "a Tensor with 0 elements cannot be converted to Scalar"),
    ("float-many", lambda: float(o(2)), ValueError,
     "only one element tensors can be converted to Python scalars"),
    ("int-many", lambda: int(o(2)), ValueError,
     "only one element tensors can be converted to Python scalars"),
    ("bool-many", lambda: bool(o(2)), RuntimeError,
     "Boolean value of Tensor with more than one value is ambiguous"),
    ("len-0d", lambda: len(torch.tensor(1.0)), TypeError, "len() of a 0-d tensor"),
    ("iter-0d", lambda: iter(torch.tensor(1.0)), TypeError, "iteration over a 0-d tensor"),
    # --------------------------------------------------------------- numpy
    ("from-numpy-object", lambda: torch.from_numpy(np.array([object()])), TypeError,
     "can't convert np.ndarray of type"),
    ("from-numpy-list", lambda: torch.from_numpy([1, 2]), TypeError,
     "expected np.ndarray (got list)"),
    ("from-numpy-negative-strides", lambda: torch.from_numpy(np.arange(3)[::-1]), ValueError,
     "At least one stride in the given numpy array is negative, and tensors with negative "
     "strides are not currently supported."),
    ("numpy-bfloat16", lambda: o(2, dtype=torch.bfloat16).numpy(), TypeError,
     "Got unsupported ScalarType BFloat16"),
    # ---------------------------------------------------------- allocation
    ("empty-overflow", lambda: torch.empty(2 ** 62), RuntimeError,
     re.compile(r"allocat|overflow", re.I)),
    ("empty-too-large", lambda: torch.empty(2 ** 57, dtype=torch.float64), RuntimeError,
     re.compile(r"allocate", re.I)),
]

assert len(CASES) >= 60
assert len({c[0] for c in CASES}) == len(CASES)


def healthy():
    """The process still works after the error."""
    a = torch.ones(2, 3)
    assert (a + 1).sum().item() == 12.0
    assert (a @ torch.ones(3, 2)).tolist() == [[3.0, 3.0], [3.0, 3.0]]
    assert torch.arange(4).view(2, 2)[1, 1].item() == 3


@pytest.mark.parametrize("name,call,exc,fragment", CASES, ids=[c[0] for c in CASES])
def test_bad_input(name, call, exc, fragment):
    pattern = fragment if isinstance(fragment, re.Pattern) else re.escape(fragment)
    with pytest.raises(exc, match=pattern) as info:
        call()
    assert type(info.value) is exc, (type(info.value), exc)
    healthy()


def test_errors_leave_tensors_untouched():
    a = torch.tensor([1, 2, 3])
    with pytest.raises(RuntimeError):
        a.add_(1.5)
    with pytest.raises(RuntimeError):
        a /= 2
    assert a.tolist() == [1, 2, 3]
    b = torch.zeros(2, 3)
    with pytest.raises(RuntimeError):
        b[0] = torch.ones(4)
    with pytest.raises(RuntimeError):
        b.copy_(torch.ones(4))
    assert b.tolist() == [[0.0] * 3] * 2
    healthy()


def test_many_errors_in_a_row():
    """Error status must not leak from one call into the next."""
    for _ in range(200):
        with pytest.raises(RuntimeError):
            torch.mm(o(2, 3), o(4, 5))
        with pytest.raises(IndexError):
            o(2, 3).sum(7)
        assert (o(2) + o(2)).tolist() == [2.0, 2.0]
    healthy()
