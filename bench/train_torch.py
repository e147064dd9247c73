"""PyTorch reference for bench/train.bench.ts: the same ResNet-34 x3 heads (1-channel
input, BasicBlock [3,4,6,3], widths 64-512, heads 168/11/7), Adam, summed
cross-entropy, random data of the same shape. Prints one JSON line.
usage: python3 bench/train_torch.py [--arch resnet34] [--size 64] [--batch 32] [--steps 8] [--threads 2] [--channels-last]
--channels-last: NHWC memory format for model and input (oneDNN's preferred layout on CPU).
"""
import argparse, json, time
import torch
import torch.nn as nn
import torch.nn.functional as F

class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False); self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False); self.b2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
    def forward(self, x):
        y = F.relu(self.b1(self.c1(x)))
        y = self.b2(self.c2(y))
        return F.relu(y + (self.down(x) if self.down is not None else x))

class ResNet3(nn.Module):
    def __init__(self, stages, width=64):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, width, 7, 2, 3, bias=False), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(3, 2, 1))
        layers, cin = [], width
        for i, n in enumerate(stages):
            cout = width * 2 ** i
            for b in range(n):
                layers.append(Block(cin, cout, 2 if i > 0 and b == 0 else 1)); cin = cout
        self.body = nn.Sequential(*layers)
        self.heads = nn.ModuleList([nn.Linear(cin, k) for k in (168, 11, 7)])
    def forward(self, x):
        h = self.body(self.stem(x)).mean((2, 3))
        return [head(h) for head in self.heads]

p = argparse.ArgumentParser()
p.add_argument('--arch', default='resnet34'); p.add_argument('--size', type=int, default=64)
p.add_argument('--batch', type=int, default=32); p.add_argument('--steps', type=int, default=8)
p.add_argument('--threads', type=int, default=2); p.add_argument('--channels-last', action='store_true')
a = p.parse_args()
torch.set_num_threads(a.threads)
model = ResNet3([3, 4, 6, 3] if a.arch == 'resnet34' else [2, 2, 2, 2])
params = sum(q.numel() for q in model.parameters() if q.requires_grad)
x = torch.randn(a.batch, 1, a.size, a.size)
if a.channels_last:
    model = model.to(memory_format=torch.channels_last); x = x.to(memory_format=torch.channels_last)
opt = torch.optim.Adam(model.parameters(), 1e-3)
ys = [torch.randint(0, k, (a.batch,)) for k in (168, 11, 7)]
def step():
    opt.zero_grad()
    loss = sum(F.cross_entropy(o, y) for o, y in zip(model(x), ys))
    loss.backward(); opt.step()
    return loss.item()
for _ in range(2): step()
t0 = time.perf_counter(); c0 = time.process_time()
for _ in range(a.steps): step()
s = time.perf_counter() - t0
print(json.dumps({'engine': 'pytorch', 'device': f'CPU, {a.threads} threads, {"channels-last" if a.channels_last else "NCHW"} (torch {torch.__version__})', 'arch': a.arch, 'channelsLast': a.channels_last,
                  'params': params, 'size': a.size, 'batch': a.batch, 'steps': a.steps,
                  'imagesPerSec': a.steps * a.batch / s, 'secondsPerStep': s / a.steps,
                  'coresBusy': (time.process_time() - c0) / s}))
