# motebook C module emlearn_fft (see wasm/README.md). EMLEARN_INCLUDE is set by wasm/build.sh.
EMLEARN_FFT_DIR := $(USERMOD_DIR)
SRC_USERMOD_C += $(EMLEARN_FFT_DIR)/fft.c
CFLAGS_USERMOD += -I$(EMLEARN_FFT_DIR)/../include -I$(EMLEARN_INCLUDE)
