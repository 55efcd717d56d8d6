"""NAdam (momentum_decay, L2 or decoupled weight decay), one C call per group."""
import ctorch as torch

from .optimizer import (Optimizer, _check_betas, _check_lr, _check_nonnegative, _check_not_differentiable,
                        _scalar_tensor)

__all__ = ["NAdam"]


class NAdam(Optimizer):
    _group_setdefaults = {"maximize": False, "foreach": None, "capturable": False, "differentiable": False,
                          "decoupled_weight_decay": False}
    _tensor_state_keys = ("step", "mu_product")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_lr(lr)
        _check_nonnegative(eps=eps)
        _check_betas(betas)
        _check_nonnegative(weight_decay=weight_decay, momentum_decay=momentum_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)
        _check_not_differentiable(differentiable)

    @staticmethod
    def _init_state(state, p):
        state["step"] = _scalar_tensor(0.0)
        state["mu_product"] = _scalar_tensor(1.0)
        state["exp_avg"] = torch.zeros_like(p)
        state["exp_avg_sq"] = torch.zeros_like(p)

    def step(self, closure=None):
        """Perform a single optimization step (closure: reevaluates the model, returns the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params, grads, (exp_avgs, exp_avg_sqs, mu_products, steps) = self._init_group(
                group, ("exp_avg", "exp_avg_sq", "mu_product", "step"), self._init_state)
            beta1, beta2 = group["betas"]
            torch._C._nadam_step(params, grads, exp_avgs, exp_avg_sqs, mu_products, steps, float(group["lr"]),
                                 beta1, beta2, group["eps"], group["weight_decay"], group["momentum_decay"],
                                 group["decoupled_weight_decay"], group["maximize"])
        return loss
