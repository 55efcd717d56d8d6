"""The main job: the snippet collection's training recipe end to end on the
UCI handwritten digits (examples/data/digits.csv.gz, 1797 images of 8x8).

A small ResNet-style CNN; augmentation (random shifts by one pixel);
a DataLoader with 2 worker processes; SGD with Nesterov momentum and weight
decay on weights only (parameter groups); label smoothing; mixup; a cosine
learning rate after a linear warm-up; gradient clipping; a tqdm progress bar;
a checkpoint every epoch (--resume continues from it); at the end the test
accuracy, per-class precision and recall, and a PNG of the learning curves.

It is plain PyTorch code: only the import line says ctorch.
    python examples/train.py [--epochs 12] [--device cpu|cuda] [--resume]
"""
import argparse
import gzip
import math
import os
import time

import numpy as np
from PIL import Image, ImageDraw
from tqdm import tqdm

import ctorch as torch
import ctorch.nn as nn
import ctorch.nn.functional as F
from ctorch.utils.data import DataLoader, Dataset
from ctorch.vision import transforms

HERE = os.path.dirname(os.path.abspath(__file__))


def load_digits():
    """Images [N, 1, 8, 8] as float32 in [0, 1] and labels [N] (int64)."""
    with gzip.open(os.path.join(HERE, "data", "digits.csv.gz"), "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.float32)
    images = table[:, :64].reshape(-1, 1, 8, 8) / 16.0
    return images, table[:, 64].astype(np.int64)


class Digits(Dataset):
    def __init__(self, images, labels, transform=None):
        self.images, self.labels, self.transform = torch.from_numpy(images), torch.from_numpy(labels), transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        x = self.images[i]
        if self.transform is not None:
            x = self.transform(x)
        return x, self.labels[i]


class Block(nn.Module):
    """conv-bn-relu-conv-bn plus the (projected) input: a ResNet basic block."""

    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)), inplace=True)
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x), inplace=True)


class SmallResNet(nn.Module):
    def __init__(self, num_classes=10, width=32):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True))
        self.layer1 = Block(width, width)
        self.layer2 = Block(width, 2 * width, stride=2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(2 * width, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = self.layer2(self.layer1(self.stem(x)))
        return self.fc(torch.flatten(self.pool(x), 1))


def parameter_groups(model, weight_decay):
    """Weight decay on conv and linear weights only, none on biases and BatchNorm."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if p.dim() == 1 else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def warmup_cosine(total_steps, warmup_steps):
    def factor(step):
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return 0.5 * (1 + math.cos(math.pi * progress))
    return factor


def evaluate(model, loader, device):
    model.eval()
    preds, targets, loss_sum = [], [], 0.0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            out = model(x)
            loss_sum += F.cross_entropy(out, y, reduction="sum").item()
            preds.append(out.argmax(1).cpu())
            targets.append(y.cpu())
    preds, targets = torch.cat(preds), torch.cat(targets)
    return loss_sum / len(targets), (preds == targets).float().mean().item(), preds.numpy(), targets.numpy()


def draw_curves(history, path):
    """Loss and accuracy per epoch as a PNG (Pillow only)."""
    w, h, pad = 640, 320, 40
    img = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    d.rectangle([pad, pad // 2, w - pad // 2, h - pad], outline="black")
    series = [("train loss", [r["train_loss"] for r in history], "tab:blue", (0, max(r["train_loss"] for r in history))),
              ("test loss", [r["test_loss"] for r in history], "orange", (0, max(r["train_loss"] for r in history))),
              ("test acc", [r["test_acc"] for r in history], "green", (0, 1))]
    colors = {"tab:blue": (31, 119, 180), "orange": (255, 127, 14), "green": (44, 160, 44)}
    n = len(history)
    for k, (label, values, color, (lo, hi)) in enumerate(series):
        pts = [(pad + (w - 1.5 * pad) * (i / max(1, n - 1)), (h - pad) - (h - 1.5 * pad) * (v - lo) / (hi - lo or 1))
               for i, v in enumerate(values)]
        if len(pts) > 1:
            d.line(pts, fill=colors[color], width=2)
        d.text((pad + 10 + 110 * k, h - pad + 12), label, fill=colors[color])
    d.text((pad, 4), f"learning curves over {n} epochs (acc on the 0..1 scale)", fill="black")
    img.save(path)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--mixup-alpha", type=float, default=0.2)
    p.add_argument("--label-smoothing", type=float, default=0.1)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", default=os.path.join(HERE, "runs", "digits"))
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint in --out")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(args.seed)
    device = torch.device(args.device)

    images, labels = load_digits()
    order = np.random.default_rng(args.seed).permutation(len(labels))
    test_idx, train_idx = order[:360], order[360:]
    mean, std = float(images[train_idx].mean()), float(images[train_idx].std())
    train_tf = transforms.Compose([transforms.RandomCrop(8, padding=1), transforms.Normalize((mean,), (std,))])
    test_tf = transforms.Normalize((mean,), (std,))
    train_set = Digits(images[train_idx], labels[train_idx], train_tf)
    test_set = Digits(images[test_idx], labels[test_idx], test_tf)
    g = torch.Generator()
    g.manual_seed(args.seed)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=args.workers,
                              generator=g, persistent_workers=args.workers > 0, drop_last=True)
    test_loader = DataLoader(test_set, batch_size=256)

    model = SmallResNet().to(device)
    optimizer = torch.optim.SGD(parameter_groups(model, args.weight_decay), lr=args.lr, momentum=0.9, nesterov=True)
    steps_per_epoch = len(train_loader)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, warmup_cosine(args.epochs * steps_per_epoch,
                                                                           steps_per_epoch))
    criterion = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)
    mixup = torch.distributions.Beta(args.mixup_alpha, args.mixup_alpha)
    ckpt_path = os.path.join(args.out, "checkpoint.pt")
    start_epoch, history = 0, []
    if args.resume and os.path.exists(ckpt_path):
        ckpt = torch.load(ckpt_path, weights_only=False)
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        scheduler.load_state_dict(ckpt["scheduler"])
        start_epoch, history = ckpt["epoch"] + 1, ckpt["history"]
        torch.set_rng_state(ckpt["rng_state"])
        print(f"resumed from {ckpt_path} at epoch {start_epoch}")

    started = time.perf_counter()
    for epoch in range(start_epoch, args.epochs):
        model.train()
        total, seen = 0.0, 0
        bar = tqdm(train_loader, desc=f"epoch {epoch + 1}/{args.epochs}", leave=False)
        for x, y in bar:
            x, y = x.to(device), y.to(device)
            lam = mixup.sample([]).item()
            perm = torch.randperm(x.size(0))
            x = lam * x + (1 - lam) * x[perm]
            out = model(x)
            loss = lam * criterion(out, y) + (1 - lam) * criterion(out, y[perm])
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
            optimizer.step()
            scheduler.step()
            total += loss.item() * x.size(0)
            seen += x.size(0)
            bar.set_postfix(loss=f"{total / seen:.3f}", lr=f"{scheduler.get_last_lr()[0]:.4f}")
        test_loss, test_acc, _, _ = evaluate(model, test_loader, device)
        history.append({"epoch": epoch + 1, "train_loss": total / seen, "test_loss": test_loss, "test_acc": test_acc})
        print(f"epoch {epoch + 1:2d}  train loss {total / seen:.4f}  test loss {test_loss:.4f}  "
              f"test acc {100 * test_acc:.2f}%  ({time.perf_counter() - started:.1f} s)")
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(), "epoch": epoch, "history": history,
                    "rng_state": torch.get_rng_state()}, ckpt_path)

    _, acc, preds, targets = evaluate(model, test_loader, device)
    print(f"\ntest accuracy {100 * acc:.2f}% on {len(targets)} images")
    print("class  precision  recall  support")
    for c in range(10):
        tp = int(((preds == c) & (targets == c)).sum())
        precision = tp / max(1, int((preds == c).sum()))
        recall = tp / max(1, int((targets == c).sum()))
        print(f"{c:5d}  {precision:9.3f}  {recall:6.3f}  {int((targets == c).sum()):7d}")
    if history:
        draw_curves(history, os.path.join(args.out, "curves.png"))
        print(f"learning curves: {os.path.join(args.out, 'curves.png')}; checkpoint: {ckpt_path}")
    if acc < 0.95:
        raise SystemExit(f"accuracy {100 * acc:.2f}% is below the 95% this recipe reaches")


if __name__ == "__main__":
    main()
