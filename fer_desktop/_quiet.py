"""Silence the C++ logging of MediaPipe and LiteRT before they load (import this first)."""

import os

os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
