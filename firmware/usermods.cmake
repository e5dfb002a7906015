# motebook's emlearn bindings (wasm/modules: the same C the simulator and the page run) as
# user C modules of a CMake port, for our ESP32 image: USER_C_MODULES=<this file>, with the
# emlearn headers' folder in the EMLEARN_INCLUDE environment variable (firmware/build.sh).
if(NOT DEFINED ENV{EMLEARN_INCLUDE} OR NOT EXISTS "$ENV{EMLEARN_INCLUDE}/eml_trees.h")
    message(FATAL_ERROR "EMLEARN_INCLUDE must name the folder of emlearn's eml_*.h headers")
endif()
set(MOTEBOOK_MODULES ${CMAKE_CURRENT_LIST_DIR}/../wasm/modules)

add_library(usermod_motebook INTERFACE)
target_sources(usermod_motebook INTERFACE
    ${MOTEBOOK_MODULES}/emlearn_trees/trees.c
    ${MOTEBOOK_MODULES}/emlearn_fft/fft.c
    ${MOTEBOOK_MODULES}/emlearn_iir/iir.c
    ${MOTEBOOK_MODULES}/emlearn_neighbors/neighbors.c
    ${MOTEBOOK_MODULES}/emlearn_kmeans/kmeans.c
    ${MOTEBOOK_MODULES}/emlearn_distance/distance.c
    ${MOTEBOOK_MODULES}/emlearn_mixture/mixture.c
    ${MOTEBOOK_MODULES}/emlearn_arrayutils/arrayutils.c
    ${MOTEBOOK_MODULES}/emlearn_melspectrogram/melspectrogram.c
    ${MOTEBOOK_MODULES}/emlearn_extratrees/extratrees.c
)
target_include_directories(usermod_motebook INTERFACE
    ${MOTEBOOK_MODULES}/include
    $ENV{EMLEARN_INCLUDE}
)
target_link_libraries(usermod INTERFACE usermod_motebook)
