"""nn.utils.rnn: PackedSequence and packing / padding of variable-length
sequences, as torch.nn.utils.rnn.

A packed sequence holds, step by step, the rows of the sequences still
running: step t has batch_sizes[t] rows (sequences sorted by decreasing
length). Packing and padding are one index_select / masked_scatter over a
(T, B) mask of the valid positions: no loop over steps or elements.
"""
from collections import namedtuple

import ctorch as torch

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]


def _bind(optional, fn):
    return None if optional is None else fn(optional)


class PackedSequence(namedtuple("PackedSequence_", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """data (sum(batch_sizes), *), batch_sizes (T,) int64 on the CPU, and the permutations between the caller's
    batch order and the sorted one (None when the batch came sorted)."""

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        elif batch_sizes.device.type != "cpu":
            raise ValueError("batch_sizes should always be on CPU. Instances of PackedSequence should never be created "
                             "manually. They should be instantiated by functions like pack_sequence and "
                             "pack_padded_sequences in nn.utils.rnn. "
                             "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """data converted as Tensor.to does; the indices follow its device; batch_sizes stays on the CPU."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        move = lambda t: t.to(data.device)  # noqa: E731
        return type(self)(data, self.batch_sizes, _bind(self.sorted_indices, move), _bind(self.unsorted_indices, move))

    def cuda(self, *args, **kwargs):
        return self.to(*args, device="cuda", **kwargs)

    def cpu(self, *args, **kwargs):
        return self.to(*args, device="cpu", **kwargs)

    def double(self):
        return self.to(dtype=torch.double)

    def float(self):
        return self.to(dtype=torch.float)

    def half(self):
        return self.to(dtype=torch.half)

    def long(self):
        return self.to(dtype=torch.long)

    def int(self):
        return self.to(dtype=torch.int)

    def short(self):
        return self.to(dtype=torch.short)

    def char(self):
        return self.to(dtype=torch.int8)

    def byte(self):
        return self.to(dtype=torch.uint8)

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return self.data.is_pinned()


def invert_permutation(permutation):
    """The inverse of a 1-D permutation tensor (None stays None)."""
    if permutation is None:
        return None
    output = torch.empty_like(permutation)
    output.scatter_(0, permutation, torch.arange(0, permutation.numel(), device=permutation.device))
    return output


def _steps_mask(lengths, T):
    """(T, B) bool: step t of sequence b is present."""
    return torch.arange(T).unsqueeze(1) < lengths.unsqueeze(0)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Packs a padded batch (T, B, *) (or (B, T, *) with batch_first) of sequences of the given lengths."""
    if not torch.is_tensor(lengths):
        lengths = torch.as_tensor(lengths, dtype=torch.int64, device="cpu")
    else:
        lengths = lengths.to(dtype=torch.int64)
    if enforce_sorted:
        sorted_indices = None
    else:
        lengths, sorted_indices = torch.sort(lengths, descending=True)
        sorted_indices = sorted_indices.to(input.device)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    if batch_first:
        input = input.transpose(0, 1)
    B = input.shape[1]
    if lengths.dim() != 1 or lengths.numel() != B:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {lengths.numel()} "
                           f"(batch_size={B})")
    if B > 0 and bool((lengths <= 0).any()):
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    if B > 1 and bool((lengths[1:] > lengths[:-1]).any()):
        raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can "
                           "pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this "
                           "requirement if you do not need ONNX exportability.")
    T = int(lengths[0]) if B > 0 else 0
    if T > input.shape[0]:
        raise RuntimeError(f"pack_padded_sequence: a length of {T} exceeds the {input.shape[0]} steps of the input")
    mask = _steps_mask(lengths, T)
    rows = mask.reshape(-1).nonzero().squeeze(1).to(input.device)
    data = input[:T].reshape(T * B, *input.shape[2:]).index_select(0, rows)
    return PackedSequence(data, mask.sum(1), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """The padded batch (T, B, *) (or (B, T, *)) and the lengths (int64) of a PackedSequence."""
    data, batch_sizes = sequence.data, sequence.batch_sizes
    T = batch_sizes.size(0)
    if total_length is not None:
        if total_length < T:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, but "
                             f"got total_length={total_length} and max sequence length being {T}")
        T = total_length
    B = int(batch_sizes[0]) if batch_sizes.numel() else 0
    lengths = (batch_sizes.unsqueeze(0) > torch.arange(B).unsqueeze(1)).sum(1)
    mask = _steps_mask(lengths, T).to(data.device)
    rest = tuple(data.shape[1:])
    padded = torch.full((T, B) + rest, padding_value, dtype=data.dtype, device=data.device)
    padded = padded.masked_scatter(mask.view((T, B) + (1,) * len(rest)), data)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices.cpu()]
    return (padded.transpose(0, 1) if batch_first else padded), lengths


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Sequences (L_i, *) padded to (max L, B, *) (or (B, max L, *)), on the right or the left."""
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if torch.is_tensor(sequences):
        sequences = sequences.unbind(0)
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    rest = tuple(sequences[0].shape[1:])
    for s in sequences[1:]:
        for d, (a, b) in enumerate(zip(rest, s.shape[1:])):
            if a != b:
                raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b ({b}) at "
                                   f"non-singleton dimension {d + 1}")
    lengths = torch.tensor([s.shape[0] for s in sequences], dtype=torch.int64)
    B, T = len(sequences), int(lengths.max())
    steps = torch.arange(T).unsqueeze(0)
    mask = steps < lengths.unsqueeze(1) if padding_side == "right" else steps >= (T - lengths).unsqueeze(1)
    data = torch.cat(sequences, 0)
    padded = torch.full((B, T) + rest, padding_value, dtype=data.dtype, device=data.device)
    padded = padded.masked_scatter(mask.to(data.device).view((B, T) + (1,) * len(rest)), data)
    return padded if batch_first else padded.transpose(0, 1).contiguous()


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of sequences (views) of a padded batch, cut to their lengths."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:int(n)] for seq, n in zip(padded_sequences, lengths)]


def pack_sequence(sequences, enforce_sorted=True):
    """Packs a list of sequences (L_i, *)."""
    lengths = torch.as_tensor([v.size(0) for v in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of sequences of a PackedSequence, in the caller's order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
