// libpng's simplified API (png_image_*); nothing else is needed from Swift.
#include <png.h>
