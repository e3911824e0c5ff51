# fer_desktop: `make run` starts the app, `make test` runs the checks. Both set up first.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TRAIN_VENV := .venv-train
TRAIN_STAMP := $(TRAIN_VENV)/.installed
PKG_VENV := .venv-package
PKG_STAMP := $(PKG_VENV)/.installed
# The bundle's OpenCV: built from the same release's source with only what the app calls
# (core, imgproc, imgcodecs, videoio with the system camera back-ends) and no FFmpeg, since
# PyAV reads and writes every file. The PyPI wheel carries its own FFmpeg and OpenBLAS.
# CPU_DISPATCH: the baseline (SSE3) plus AVX2 kernels, the one extra set worth its compile.
OPENCV_VERSION := 5.0.0.93
OPENCV_VENV := .venv-opencv
OPENCV_CMAKE_ARGS := -DBUILD_LIST=core,imgproc,imgcodecs,videoio,python3 -DWITH_FFMPEG=OFF \
	-DWITH_GSTREAMER=OFF -DWITH_V4L=ON -DWITH_IPP=OFF -DWITH_LAPACK=OFF -DWITH_OPENCL=OFF \
	-DWITH_ADE=OFF -DWITH_PROTOBUF=OFF -DWITH_TIFF=OFF -DWITH_WEBP=OFF -DWITH_OPENEXR=OFF \
	-DWITH_JASPER=OFF -DWITH_OPENJPEG=OFF -DWITH_AVIF=OFF -DWITH_GTK=OFF -DWITH_QT=OFF \
	-DWITH_ITT=OFF -DWITH_EIGEN=OFF -DWITH_VA=OFF -DWITH_VA_INTEL=OFF -DBUILD_TESTS=OFF \
	-DBUILD_PERF_TESTS=OFF -DCPU_DISPATCH=AVX2
# The wheel is built once per machine and kept outside the clone (like pip's wheel cache),
# in a folder named by the version and a hash of the options: a fresh clone reuses it.
WHEEL_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/fer-desktop/wheels
OPENCV_TAG := $(OPENCV_VERSION)-$(shell echo '$(OPENCV_CMAKE_ARGS)' | sha256sum | cut -c1-12)
OPENCV_WHEEL_DIR := $(WHEEL_CACHE)/opencv-$(OPENCV_TAG)
OPENCV_WHEEL := $(OPENCV_WHEEL_DIR)/.built
DETECTOR := models/detector/face_detection_short_range.tflite
PYTEST_ARGS ?=

.PHONY: setup setup-train run test test-fast test-unit lint train train-quick models seed-study bench package clean help

help:
	@echo "make run      set up .venv if needed and start the desktop app"
	@echo "make test     set up if needed, then ruff and pytest"
	@echo "make test-fast  lint, the unit tier and one end-to-end run of each front end"
	@echo "make test-unit  the unit tier only (tests/unit: no subprocess, model or window)"
	@echo "make train    retrain both shipped models (needs ../shared/data/fer2013.npz)"
	@echo "make bench    run the benchmarks in benchmarks/"

setup: $(STAMP) $(DETECTOR)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[gui,dev]'
	# Both OpenCV wheels write the one cv2 folder, the last installed wins: here always
	# mediapipe's opencv-contrib-python (a superset; the app runs on either).
	$(BIN)/python -m pip install -q --force-reinstall --no-deps opencv-contrib-python
	touch $(STAMP)

# The face detector's weights come from the official mediapipe 0.10.21 wheel on PyPI
# (sha256-checked, never committed). Offline: fer-desktop models fetch --wheel PATH.
$(DETECTOR): | $(STAMP)
	$(BIN)/fer-desktop models fetch

# Training needs TensorFlow; it lives in its own venv so the app starts without it.
setup-train: $(TRAIN_STAMP)

$(TRAIN_STAMP): pyproject.toml
	test -x $(TRAIN_VENV)/bin/python || $(PY) -m venv $(TRAIN_VENV)
	$(TRAIN_VENV)/bin/python -m pip install -q --upgrade pip
	$(TRAIN_VENV)/bin/python -m pip install -q -e '.[train]'
	touch $(TRAIN_STAMP)

run: setup
	$(BIN)/fer-desktop gui

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

test: setup setup-train lint
	QT_QPA_PLATFORM=offscreen FER_TRAIN_PYTHON=$(abspath $(TRAIN_VENV))/bin/python \
		$(BIN)/python -m pytest $(PYTEST_ARGS)

# The quick loop: the unit tier and the tests marked smoke (a predict, an analyze, a live
# run, the window on a video); about a minute here (README, Tests).
test-fast: PYTEST_ARGS = -m "unit or smoke"
test-fast: test

# Pure logic only: no subprocess, no model file, no window; seconds.
test-unit: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

# The shipped models, by the named recipes of training/recipe.py: 3- and 2-class from model_a
# (the stem network, about 85 min each on an idle machine: each task is its own run, so one
# never resumes or exports from the other's), 8-class from model_a_8class (the
# full-resolution network, 80 epochs, about 3 h idle). Every epoch is checkpointed in
# training/checkpoints/RUN/ (RUN: model_a_3class, model_a_2class, model_a_full); after a
# kill, the same command continues from the last one. Files reach models/ only once their
# checks pass. Shipping needs a clean commit (python -m training ship --allow-dirty for
# experiments).
train models: setup setup-train
	$(TRAIN_VENV)/bin/python -m training ship --task 3class --recipe model_a
	$(TRAIN_VENV)/bin/python -m training ship --task 2class --recipe model_a
	$(TRAIN_VENV)/bin/python -m training ship --task 8class --recipe model_a_8class --run model_a_full
	$(TRAIN_VENV)/bin/python -m training report

seed-study: setup setup-train
	$(TRAIN_VENV)/bin/python -m training seed-study
	$(TRAIN_VENV)/bin/python -m training report

train-quick: setup setup-train
	$(TRAIN_VENV)/bin/python -m training ship --quick --out /tmp/fer_quick --float-dir /tmp/fer_quick

bench: setup
	$(BIN)/python -m benchmarks.bench_pipeline
	$(BIN)/python -m benchmarks.bench_classifier
	$(BIN)/python -m benchmarks.bench_gui
	$(BIN)/python -m benchmarks.bench_outputs
	$(BIN)/python -m benchmarks.bench_review
	$(BIN)/python -m benchmarks.calibration_study
	$(BIN)/python -m benchmarks.bench_side_by_side
	$(BIN)/python -m benchmarks.bench_batch
	$(BIN)/python -m benchmarks.bench_vs_fer
	$(BIN)/python -m benchmarks.bench_ids
	$(BIN)/python -m benchmarks.bench_mesh
	$(BIN)/python -m benchmarks.bench_study
	$(BIN)/python -m benchmarks.bench_pause
	$(BIN)/python -m benchmarks.bench_sigterm
	$(BIN)/python -m benchmarks.soak --minutes 2

clean:
	rm -rf $(VENV) $(TRAIN_VENV) $(PKG_VENV) build dist .pytest_cache .ruff_cache

# A one-folder desktop app in dist/fer-desktop (PyInstaller); see packaging/README.md.
# Built from its own venv holding only the app and [gui]: its cv2 is opencv-python-headless
# (in .venv, mediapipe's opencv-contrib-python with its Qt 5 owns cv2), and no test tool,
# mediapipe or Dask is there to be picked up. The notices are generated from that venv.
$(PKG_STAMP): pyproject.toml
	test -x $(PKG_VENV)/bin/python || $(PY) -m venv $(PKG_VENV)
	$(PKG_VENV)/bin/python -m pip install -q --upgrade pip
	$(PKG_VENV)/bin/python -m pip install -q -e '.[gui]' 'pyinstaller>=6.10,<7'
	touch $(PKG_STAMP)

# opencv-python's own build (scikit-build) in a venv of its pinned build requirements, from
# its source release on PyPI. Its setup.py expects the typing stubs, which OpenCV's generator
# cannot write for a reduced module list: that expectation is removed (two lines) before the
# build. About 15 minutes on two cores, once (see WHEEL_CACHE).
OPENCV_SRC := build/opencv/opencv_python_headless-$(OPENCV_VERSION)
$(OPENCV_WHEEL):
	test -x $(OPENCV_VENV)/bin/python || $(PY) -m venv $(OPENCV_VENV)
	$(OPENCV_VENV)/bin/python -m pip install -q 'numpy==2.0.2' packaging 'scikit-build>=0.14' \
		'setuptools==59.2.0' cmake ninja
	rm -rf build/opencv && mkdir -p build/opencv
	$(OPENCV_VENV)/bin/python -m pip download -q --no-deps --no-binary :all: \
		--no-build-isolation opencv-python-headless==$(OPENCV_VERSION) -d build/opencv
	tar -xzf build/opencv/opencv_python_headless-$(OPENCV_VERSION).tar.gz -C build/opencv
	sed -i -e 's|\[ r"python/cv2/py.typed" \] if sys.version_info >= (3, 6) else \[\]|[]|' \
		-e 's|rearrange_cmake_output_data\["cv2.typing"\] = .*|pass|' $(OPENCV_SRC)/setup.py
	cd $(OPENCV_SRC) && ENABLE_HEADLESS=1 ENABLE_CONTRIB=0 CMAKE_POLICY_VERSION_MINIMUM=3.5 \
		CMAKE_ARGS="$(OPENCV_CMAKE_ARGS)" $(abspath $(OPENCV_VENV))/bin/python -m pip wheel -q \
		--no-deps --no-build-isolation . -w $(abspath build/opencv/wheel)
	mkdir -p $(OPENCV_WHEEL_DIR)
	mv build/opencv/wheel/opencv_python_headless-*.whl $(OPENCV_WHEEL_DIR)/
	touch $(OPENCV_WHEEL)

package: $(PKG_STAMP) $(DETECTOR) $(OPENCV_WHEEL)
	$(PKG_VENV)/bin/python -m pip install -q --force-reinstall --no-deps \
		$(OPENCV_WHEEL_DIR)/opencv_python_headless-*.whl
	$(PKG_VENV)/bin/pyinstaller --noconfirm --distpath dist --workpath build/pyinstaller \
		packaging/fer_desktop.spec
	$(PKG_VENV)/bin/python packaging/notices.py --bundle dist/fer-desktop/_internal \
		dist/fer-desktop/_internal/THIRD_PARTY_NOTICES.txt
	@du -sh dist/fer-desktop
