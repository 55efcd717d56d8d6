"""Adamax (the infinity-norm Adam), one C call per group."""
import ctorch as torch

from .optimizer import (Optimizer, _check_betas, _check_lr, _check_nonnegative, _check_not_differentiable,
                        _scalar_tensor)

__all__ = ["Adamax"]


class Adamax(Optimizer):
    _group_setdefaults = {"foreach": None, "maximize": False, "differentiable": False, "capturable": False}
    _tensor_state_keys = ("step",)

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        _check_lr(lr)
        _check_nonnegative(eps=eps)
        _check_betas(betas)
        _check_nonnegative(weight_decay=weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)
        _check_not_differentiable(differentiable)

    @staticmethod
    def _init_state(state, p):
        state["step"] = _scalar_tensor(0.0)
        state["exp_avg"] = torch.zeros_like(p)
        state["exp_inf"] = torch.zeros_like(p)

    def step(self, closure=None):
        """Perform a single optimization step (closure: reevaluates the model, returns the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params, grads, (exp_avgs, exp_infs, steps) = self._init_group(
                group, ("exp_avg", "exp_inf", "step"), self._init_state)
            beta1, beta2 = group["betas"]
            torch._C._adamax_step(params, grads, exp_avgs, exp_infs, steps, float(group["lr"]), beta1, beta2,
                                  group["eps"], group["weight_decay"], group["maximize"])
        return loss
