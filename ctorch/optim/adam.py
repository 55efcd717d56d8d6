"""Adam (amsgrad, maximize, L2 or decoupled weight decay), one C call per group."""
import ctorch as torch

from .optimizer import (Optimizer, _check_betas, _check_fused, _check_lr, _check_nonnegative,
                        _check_not_differentiable, _scalar_tensor, _to_scalar)

__all__ = ["Adam"]


class Adam(Optimizer):
    _group_setdefaults = {"amsgrad": False, "maximize": False, "foreach": None, "capturable": False,
                          "differentiable": False, "decoupled_weight_decay": False, "fused": None}
    _tensor_state_keys = ("step",)

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        if isinstance(lr, torch.Tensor):
            if foreach and not capturable:
                raise ValueError("lr as a Tensor is not supported for capturable=False and foreach=True")
        _check_lr(lr)
        _check_nonnegative(eps=eps)
        _check_betas(betas)
        _check_nonnegative(weight_decay=weight_decay)
        if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
                or (isinstance(betas[0], torch.Tensor) and isinstance(betas[1], torch.Tensor))):
            raise ValueError("betas must be either both floats or both Tensors")
        for i, beta in enumerate(betas):
            if isinstance(beta, torch.Tensor):
                if not capturable and foreach:
                    raise ValueError(f"betas[{i}] as a Tensor is not supported for capturable=False and foreach=True")
                if beta.numel() != 1:
                    raise ValueError(f"Tensor betas[{i}] must be 1-element")
        defaults = {"lr": lr, "betas": tuple(map(_to_scalar, betas)), "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable, "fused": fused, "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)
        if fused:
            _check_fused(foreach, differentiable)
        _check_not_differentiable(differentiable)

    def step(self, closure=None):
        """Perform a single optimization step (closure: reevaluates the model, returns the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            amsgrad = group["amsgrad"]

            def init(state, p):
                state["step"] = _scalar_tensor(0.0)
                state["exp_avg"] = torch.zeros_like(p)
                state["exp_avg_sq"] = torch.zeros_like(p)
                if amsgrad:
                    state["max_exp_avg_sq"] = torch.zeros_like(p)

            keys = ("exp_avg", "exp_avg_sq", "step") + (("max_exp_avg_sq",) if amsgrad else ())
            params, grads, (exp_avgs, exp_avg_sqs, steps, *max_sqs) = self._init_group(group, keys, init)
            beta1, beta2 = group["betas"]
            torch._C._adam_step(params, grads, exp_avgs, exp_avg_sqs, max_sqs[0] if max_sqs else None, steps,
                                float(group["lr"]), float(beta1), float(beta2), group["eps"],
                                group["weight_decay"], amsgrad, group["maximize"], group["decoupled_weight_decay"])
        return loss
