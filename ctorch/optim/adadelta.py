"""Adadelta (rho, eps), one C call per group."""
import ctorch as torch

from .optimizer import Optimizer, _check_lr, _check_nonnegative, _check_not_differentiable, _scalar_tensor

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    _group_setdefaults = {"foreach": None, "maximize": False, "differentiable": False, "capturable": False}
    _tensor_state_keys = ("step",)

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_nonnegative(eps=eps, weight_decay=weight_decay)
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "capturable": capturable, "foreach": foreach, "differentiable": differentiable}
        super().__init__(params, defaults)
        _check_not_differentiable(differentiable)

    @staticmethod
    def _init_state(state, p):
        state["step"] = _scalar_tensor(0.0)
        state["square_avg"] = torch.zeros_like(p)
        state["acc_delta"] = torch.zeros_like(p)

    def step(self, closure=None):
        """Perform a single optimization step (closure: reevaluates the model, returns the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params, grads, (square_avgs, acc_deltas, steps) = self._init_group(
                group, ("square_avg", "acc_delta", "step"), self._init_state)
            torch._C._adadelta_step(params, grads, square_avgs, acc_deltas, steps, float(group["lr"]), group["rho"],
                                    group["eps"], group["weight_decay"], group["maximize"])
        return loss
