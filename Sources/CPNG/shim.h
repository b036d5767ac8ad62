#ifndef CALOFLOW_CPNG_SHIM_H
#define CALOFLOW_CPNG_SHIM_H
#include <png.h>
static inline int caloPNGImageVersion(void) { return PNG_IMAGE_VERSION; }
static inline unsigned caloPNGFormatRGB(void) { return PNG_FORMAT_RGB; }
static inline unsigned caloPNGFormatRGBA(void) { return PNG_FORMAT_RGBA; }
#endif
