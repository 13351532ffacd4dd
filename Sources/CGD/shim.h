// libgd, used to read JPEG, GIF, BMP, WebP and TIFF files (gdImageCreateFromFile) and to draw
// figures; the bitmap fonts are the fallback when FreeType finds no TrueType font.
#include <gd.h>
#include <gdfontg.h>
#include <gdfontl.h>
#include <gdfontmb.h>
#include <gdfonts.h>
