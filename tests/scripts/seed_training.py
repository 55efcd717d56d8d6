"""The seed collection's training snippets as one unmodified PyTorch script (imports torch and
torchvision): preprocessing, the training loop under tqdm, label smoothing, mixup, L1
regularisation, no weight decay on biases, gradient clipping, the current learning rate, a
schedule, accuracy, and saving then resuming a checkpoint. Images are 32x32 (not 224) and the
L1 term is scaled by 1e-5 so that a few epochs on a CPU learn something.

    python seed_training.py OUT_DIR      (prints: torch NAME / loss FIRST LAST / accuracy A / resumed ...)
"""
import os
import shutil
import sys

import numpy as np
import PIL.Image
import torch
import torch.nn as nn
import torchvision
import tqdm

out_dir = sys.argv[1]
torch.manual_seed(0)
C, epochs, alpha = 3, 6, 0.2


class Colours(torch.utils.data.Dataset):
    """Noisy RGB images whose label is the strongest channel."""

    def __init__(self, num, transform, seed):
        rng = np.random.default_rng(seed)
        self.labels = rng.integers(0, C, size=num)
        self.pixels = rng.integers(0, 150, size=(num, 40, 48, 3))
        self.pixels[np.arange(num), :, :, self.labels] += 100
        self.transform = transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.transform(PIL.Image.fromarray(self.pixels[i].astype(np.uint8))), int(self.labels[i])


train_transform = torchvision.transforms.Compose([
    torchvision.transforms.RandomResizedCrop(size=32, scale=(0.08, 1.0)),
    torchvision.transforms.RandomHorizontalFlip(),
    torchvision.transforms.ToTensor(),
    torchvision.transforms.Normalize(mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)),
])
val_transform = torchvision.transforms.Compose([
    torchvision.transforms.Resize(32),
    torchvision.transforms.CenterCrop(32),
    torchvision.transforms.ToTensor(),
    torchvision.transforms.Normalize(mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)),
])
train_loader = torch.utils.data.DataLoader(Colours(96, train_transform, 0), batch_size=16, shuffle=True)
val_loader = torch.utils.data.DataLoader(Colours(48, val_transform, 1), batch_size=16)


def make_model():
    return nn.Sequential(nn.Conv2d(3, 8, kernel_size=3, stride=1, padding=1, bias=True), nn.BatchNorm2d(8),
                         nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d(output_size=1), nn.Flatten(), nn.Linear(8, C))


def make_optimizer(model):
    bias_list = (param for name, param in model.named_parameters() if name[-4:] == 'bias')
    others_list = (param for name, param in model.named_parameters() if name[-4:] != 'bias')
    parameters = [{'params': bias_list, 'weight_decay': 0},
                  {'params': others_list}]
    return torch.optim.SGD(parameters, lr=1e-1, momentum=0.9, weight_decay=1e-4)


def smoothed_loss(score, labels):
    N = labels.size(0)
    smoothed_labels = torch.full(size=(N, C), fill_value=0.1 / (C - 1))
    smoothed_labels.scatter_(dim=1, index=torch.unsqueeze(labels, dim=1), value=0.9)
    log_prob = torch.nn.functional.log_softmax(score, dim=1)
    return -torch.sum(log_prob * smoothed_labels) / N


def validate(model):
    model.eval()
    num_correct = total = 0
    with torch.no_grad():
        for images, labels in val_loader:
            score = model(images)
            prediction = torch.argmax(score, dim=1)
            num_correct += torch.sum(prediction == labels).item()
            total += labels.size(0)
    model.train()
    return num_correct / total


model = make_model()
optimizer = make_optimizer(model)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
beta_distribution = torch.distributions.beta.Beta(alpha, alpha)
best_acc, epoch_losses = 0.0, []
os.makedirs(os.path.join(out_dir, 'model'), exist_ok=True)
for t in range(epochs):
    losses = []
    for images, labels in tqdm.tqdm(train_loader, desc='Epoch %3d' % (t + 1), file=sys.stderr):
        lambda_ = beta_distribution.sample([]).item()
        index = torch.randperm(images.size(0))
        mixed_images = lambda_ * images + (1 - lambda_) * images[index, :]
        scores = model(mixed_images)
        loss = lambda_ * smoothed_loss(scores, labels) + (1 - lambda_) * smoothed_loss(scores, labels[index])
        losses.append(loss.item())
        for param in model.parameters():
            loss += 1e-5 * torch.sum(torch.abs(param))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=20)
        optimizer.step()
    scheduler.step()
    lr = next(iter(optimizer.param_groups))['lr']
    epoch_losses.append(sum(losses) / len(losses))
    current_acc = validate(model)
    print('Epoch %d: loss %.4f, accuracy %.3f, lr %.5f' % (t + 1, epoch_losses[-1], current_acc, lr), file=sys.stderr)
    is_best = current_acc > best_acc
    best_acc = max(best_acc, current_acc)
    checkpoint = {
        'best_acc': best_acc,
        'epoch': t + 1,
        'model': model.state_dict(),
        'optimizer': optimizer.state_dict(),
    }
    model_path = os.path.join(out_dir, 'model', 'checkpoint.pth.tar')
    torch.save(checkpoint, model_path)
    if is_best:
        shutil.copy(model_path, os.path.join(out_dir, 'model', 'best_checkpoint.pth.tar'))

resumed = make_model()
resumed_optimizer = make_optimizer(resumed)
checkpoint = torch.load(os.path.join(out_dir, 'model', 'checkpoint.pth.tar'))
start_epoch = checkpoint['epoch']
resumed.load_state_dict(checkpoint['model'])
resumed_optimizer.load_state_dict(checkpoint['optimizer'])
same = all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), resumed.state_dict().values()))
same = same and str(resumed_optimizer.state_dict()) == str(optimizer.state_dict())
print('torch', torch.__name__)
print('loss %.4f %.4f' % (epoch_losses[0], epoch_losses[-1]))
print('accuracy %.4f' % validate(model))
print('resumed Load checkpoint at epoch %d. %s' % (start_epoch, 'equal' if same else 'different'))
