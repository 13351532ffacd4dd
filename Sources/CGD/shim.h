// libgd, used to read JPEG, GIF, BMP, WebP and TIFF files (gdImageCreateFromFile).
#include <gd.h>
