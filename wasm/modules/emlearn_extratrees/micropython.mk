# motebook C module emlearn_extratrees (tree trainer, issue 22; see wasm/README.md).
EMLEARN_EXTRATREES_DIR := $(USERMOD_DIR)
SRC_USERMOD_C += $(EMLEARN_EXTRATREES_DIR)/extratrees.c
CFLAGS_USERMOD += -I$(EMLEARN_EXTRATREES_DIR)/../include -I$(EMLEARN_INCLUDE)
