"""Example PyTorch models for ``symgrad collapse --torch nets.py:FACTORY``.

``python -m symgrad.examples.nets > nets.py`` writes this file into the current folder.
"""

import torch
from torch import nn


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def constant_mlp():
    """Every weight and bias 0.01: the 128 hidden neurons start identical."""
    model = MLP()
    for p in model.parameters():
        nn.init.constant_(p, 0.01)
    return model


def constant_cnn():
    """A LeNet-style CNN with every parameter 0.05."""
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120),
        nn.ReLU(),
        nn.Linear(120, 10),
    )
    for p in model.parameters():
        nn.init.constant_(p, 0.05)
    return model


def duplicated_row():
    """Random init, except that neuron 5 of fc1 got a copy of neuron 3's incoming weights."""
    torch.manual_seed(0)
    model = MLP()
    with torch.no_grad():
        model.fc1.weight[5] = model.fc1.weight[3]
    return model


def duplicated_neuron():
    """Random init, except that neuron 5 of fc1 is a full copy of neuron 3 (in and out)."""
    model = duplicated_row()
    with torch.no_grad():
        model.fc1.bias[5] = model.fc1.bias[3]
        model.fc2.weight[:, 5] = model.fc2.weight[:, 3]
    return model


if __name__ == "__main__":
    from pathlib import Path

    print(Path(__file__).read_text(), end="")
