"""RMSprop (alpha, eps, centered, momentum), one C call per group."""
import ctorch as torch

from .optimizer import Optimizer, _check_lr, _check_nonnegative, _check_not_differentiable, _scalar_tensor

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    _group_setdefaults = {"momentum": 0, "centered": False, "foreach": None, "maximize": False,
                          "differentiable": False, "capturable": False}
    _tensor_state_keys = ("step",)

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check_lr(lr)
        _check_nonnegative(eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
                    "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable}
        super().__init__(params, defaults)
        _check_not_differentiable(differentiable)

    def step(self, closure=None):
        """Perform a single optimization step (closure: reevaluates the model, returns the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            momentum, centered = group["momentum"], group["centered"]

            def init(state, p):
                state["step"] = _scalar_tensor(0.0)
                state["square_avg"] = torch.zeros_like(p)
                if momentum > 0:
                    state["momentum_buffer"] = torch.zeros_like(p)
                if centered:
                    state["grad_avg"] = torch.zeros_like(p)

            keys = ("square_avg", "step") + (("momentum_buffer",) if momentum > 0 else ()) + \
                (("grad_avg",) if centered else ())
            params, grads, (square_avgs, steps, *optional) = self._init_group(group, keys, init)
            bufs = optional.pop(0) if momentum > 0 else None
            grad_avgs = optional.pop(0) if centered else None
            torch._C._rmsprop_step(params, grads, square_avgs, bufs, grad_avgs, steps, float(group["lr"]),
                                   group["alpha"], group["eps"], group["weight_decay"], momentum, centered,
                                   group["maximize"])
        return loss
