# motebook C module emlearn_kmeans_c (see wasm/README.md); the Python half is frozen from
# wasm/frozen/common/emlearn_kmeans.py. No emlearn header: emlearn 0.23.2 has no clustering code.
EMLEARN_KMEANS_DIR := $(USERMOD_DIR)
SRC_USERMOD_C += $(EMLEARN_KMEANS_DIR)/kmeans.c
CFLAGS_USERMOD += -I$(EMLEARN_KMEANS_DIR)/../include
