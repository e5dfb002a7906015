# motebook C module emlearn_melspectrogram (see wasm/README.md). EMLEARN_INCLUDE is set by wasm/build.sh.
EMLEARN_MEL_DIR := $(USERMOD_DIR)
SRC_USERMOD_C += $(EMLEARN_MEL_DIR)/melspectrogram.c
CFLAGS_USERMOD += -I$(EMLEARN_MEL_DIR)/../include -I$(EMLEARN_INCLUDE)
