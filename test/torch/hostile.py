"""Writes with torch.save a 'checkpoint' whose unpickling would run a shell command (creating
the file named by argv[2]) the way a malicious checkpoint would, to argv[1]."""
import os
import sys
from collections import OrderedDict

import torch


class Payload:
    def __reduce__(self):
        return (os.system, (f"touch {sys.argv[2]}",))


torch.save(OrderedDict(weight=torch.zeros(2), bias=Payload()), sys.argv[1])
