/* The two formats images are generated in.  It lives in core because both
 * the scenario loader (images.format) and the fixture generator (imaging/)
 * name it, and neither folder should depend on the other. */
#ifndef MB_IMAGE_FORMAT_H
#define MB_IMAGE_FORMAT_H

typedef enum { MB_FORMAT_JPEG = 0, MB_FORMAT_PNG } mb_image_format;

/* "jpeg" or "png": the spelling scenario files use and cache keys carry. */
static inline const char *mb_image_format_name(mb_image_format fmt)
{
    return fmt == MB_FORMAT_PNG ? "png" : "jpeg";
}

#endif
