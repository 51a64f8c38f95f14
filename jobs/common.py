"""Helpers shared by the Python jobs; it has no header, so it is not a job."""
import os


def out_path(name):
    os.makedirs(os.path.join("data", "out"), exist_ok=True)
    return os.path.join("data", "out", name)
