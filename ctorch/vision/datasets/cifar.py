"""CIFAR10 from the python pickles under root/cifar-10-batches-py."""
import os
import pickle

import numpy as np
from PIL import Image

from .vision import VisionDataset, missing_files_error


class CIFAR10(VisionDataset):
    base_folder = "cifar-10-batches-py"
    train_list = ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5"]
    test_list = ["test_batch"]
    meta = {"filename": "batches.meta", "key": "label_names"}

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        folder = os.path.join(self.root, self.base_folder)
        missing = [f for f in self.train_list + self.test_list + [self.meta["filename"]]
                   if not os.path.isfile(os.path.join(folder, f))]
        if missing:
            if download:
                raise missing_files_error(folder, missing, f"{self.__class__.__name__} files")
            raise RuntimeError("Dataset not found or corrupted. You can use download=True to download it")
        data, self.targets = [], []
        for name in self.train_list if train else self.test_list:
            entry = self._unpickle(os.path.join(folder, name))
            data.append(entry["data"])
            self.targets.extend(entry["labels"] if "labels" in entry else entry["fine_labels"])
        # rows of 3072 bytes (R plane, G plane, B plane) -> (N, 32, 32, 3) for PIL
        self.data = np.vstack(data).reshape(-1, 3, 32, 32).transpose((0, 2, 3, 1))
        self.classes = self._unpickle(os.path.join(folder, self.meta["filename"]))[self.meta["key"]]
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    @staticmethod
    def _unpickle(path):
        with open(path, "rb") as f:
            return pickle.load(f, encoding="latin1")

    def __getitem__(self, index):
        return self._apply(Image.fromarray(self.data[index]), self.targets[index])

    def __len__(self):
        return len(self.data)

    def extra_repr(self):
        return f"Split: {'Train' if self.train is True else 'Test'}"
