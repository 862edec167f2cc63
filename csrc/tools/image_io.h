// Image files for ppms_run: RGB images in (PPM/PGM always; PNG and JPEG when the build found libpng and libjpeg),
// label maps out (PGM always, PNG with libpng). Every size in a file is checked before anything is allocated.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ppms_tools {

struct Image {
  int64_t width = 0, height = 0;
  std::vector<uint8_t> rgb;  // height x width x 3
};

constexpr int64_t kMaxSide = int64_t{1} << 15, kMaxPixels = int64_t{1} << 28;

// The decoders this build has, e.g. "ppm pgm png jpeg".
std::string image_formats();
// Reads an image by its contents (not its extension): PPM/PGM (8 or 16 bits, 16 cut to the high byte, grey repeated),
// PNG (palette and grey expanded, alpha dropped, 16 bits cut to the high byte), JPEG (as RGB, turned upright as its
// EXIF orientation says). Raw RGB bytes when raw_width > 0. Returns an empty string or what is wrong.
std::string read_image(const std::string& path, Image* image, int64_t raw_width = 0, int64_t raw_height = 0);
// What keeps write_grey from writing `path` in the format its name asks for (.png with libpng, .pgm), or "".
std::string grey_format_error(const std::string& path);
// Writes 8-bit grey pixels (class ids) as PNG for a name ending in .png, PGM for .pgm (any case); refuses others.
std::string write_grey(const std::string& path, const uint8_t* pixels, int64_t width, int64_t height);

}  // namespace ppms_tools
