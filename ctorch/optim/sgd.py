"""Stochastic gradient descent (momentum, dampening, Nesterov, weight decay), one C call per group."""
import ctorch as torch

from .optimizer import Optimizer, _check_fused, _check_lr, _check_not_differentiable

__all__ = ["SGD"]


class SGD(Optimizer):
    _group_setdefaults = {"nesterov": False, "maximize": False, "foreach": None, "differentiable": False,
                          "fused": False}

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        _check_lr(lr)
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
                    "nesterov": nesterov, "maximize": maximize, "foreach": foreach, "differentiable": differentiable,
                    "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        if fused:
            _check_fused(foreach, differentiable)
        _check_not_differentiable(differentiable)

    def step(self, closure=None):
        """Perform a single optimization step (closure: reevaluates the model, returns the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            momentum = group["momentum"]
            params, grads, bufs = [], [], []
            for p in group["params"]:
                if p.grad is not None:
                    params.append(p)
                    grads.append(p.grad)
                    if momentum != 0:
                        bufs.append(self.state[p].get("momentum_buffer"))
            bufs = torch._C._sgd_step(params, grads, bufs, float(group["lr"]), momentum, group["dampening"],
                                      float(group["weight_decay"]), group["nesterov"], group["maximize"])
            if momentum != 0:
                for p, buf in zip(params, bufs):
                    self.state[p]["momentum_buffer"] = buf
        return loss
