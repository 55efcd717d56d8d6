"""An unmodified PyTorch-style script (imports torch): trains a small MLP and prints its loss and accuracy."""
import sys
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset
torch.manual_seed(0)
x = torch.randn(64, 4); y = (x.sum(1) > 0).long()
model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
opt_params = list(model.parameters())
for epoch in range(30):
    for xb, yb in DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True):
        loss = F.cross_entropy(model(xb), yb)
        for p in opt_params: p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in opt_params: p -= 0.1 * p.grad
print(torch.__name__, sys.argv[1:], round(loss.item(), 4), (model(x).argmax(1) == y).float().mean().item())
