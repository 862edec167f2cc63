#include "image_io.h"

#include <cctype>
#include <csetjmp>
#include <cstdio>
#include <cstring>

#ifdef PPMS_HAVE_PNG
#include <png.h>
#endif
#ifdef PPMS_HAVE_JPEG
#include <jpeglib.h>
#endif

namespace ppms_tools {

namespace {

constexpr int64_t kMaxFileBytes = int64_t{1} << 31;

std::string size_error(int64_t w, int64_t h) {
  if (w < 1 || h < 1 || w > kMaxSide || h > kMaxSide || w * h > kMaxPixels)
    return "an image of " + std::to_string(w) + " x " + std::to_string(h) + " pixels is outside what ppms_run reads " +
           "(sides 1 to " + std::to_string(kMaxSide) + ", at most " + std::to_string(kMaxPixels) + " pixels)";
  return "";
}

std::string read_file(const std::string& path, std::vector<uint8_t>* data) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return "cannot open " + path;
  uint8_t chunk[1 << 16];
  for (size_t got; (got = std::fread(chunk, 1, sizeof(chunk), f)) > 0;) {
    data->insert(data->end(), chunk, chunk + got);
    if (static_cast<int64_t>(data->size()) > kMaxFileBytes) {
      std::fclose(f);
      return path + " is larger than any image ppms_run reads";
    }
  }
  const bool failed = std::ferror(f);
  std::fclose(f);
  return failed ? "cannot read " + path : "";
}

// PPM (P6) and PGM (P5), binary, maxval 255 or 65535.
std::string read_pnm(const std::vector<uint8_t>& d, Image* im) {
  size_t i = 2;
  auto space = [&] {
    while (i < d.size() && (std::isspace(d[i]) || d[i] == '#')) {
      if (d[i] == '#')
        while (i < d.size() && d[i] != '\n') ++i;
      else
        ++i;
    }
  };
  auto number = [&](int64_t* v) {
    space();
    if (i >= d.size() || !std::isdigit(d[i])) return false;
    *v = 0;
    while (i < d.size() && std::isdigit(d[i]))
      if ((*v = *v * 10 + (d[i++] - '0')) > (int64_t{1} << 31)) return false;
    return true;
  };
  const int channels = d[1] == '6' ? 3 : 1;
  int64_t w, h, maxval;
  if (!number(&w) || !number(&h) || !number(&maxval) || i >= d.size() || !std::isspace(d[i]))
    return "malformed PPM/PGM header";
  ++i;
  std::string e = size_error(w, h);
  if (!e.empty()) return e;
  if (maxval != 255 && maxval != 65535)
    return "PPM/PGM maxval " + std::to_string(maxval) + " (ppms_run reads 255 and 65535)";
  const int64_t bytes = maxval == 255 ? 1 : 2, need = w * h * channels * bytes;
  if (static_cast<int64_t>(d.size() - i) < need)
    return "truncated PPM/PGM: " + std::to_string(d.size() - i) + " bytes of pixels, " + std::to_string(need) +
           " needed";
  im->width = w, im->height = h;
  im->rgb.resize(w * h * 3);
  const uint8_t* p = d.data() + i;
  for (int64_t k = 0; k < w * h; ++k)
    for (int c = 0; c < 3; ++c) im->rgb[3 * k + c] = p[(k * channels + (channels == 3 ? c : 0)) * bytes];  // high byte
  return "";
}

#ifdef PPMS_HAVE_PNG
struct PngSource {
  const std::vector<uint8_t>* d;
  size_t at;
};

std::string read_png(const std::vector<uint8_t>& d, Image* im) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  if (png == nullptr) return "libpng: out of memory";
  png_infop info = png_create_info_struct(png);
  std::string error;
  std::vector<png_bytep> rows;
  if (info == nullptr) {
    error = "libpng: out of memory";
  } else if (setjmp(png_jmpbuf(png)) != 0) {
    error = "malformed PNG";  // set here: locals changed after setjmp are unreliable after the jump
  } else {
    PngSource src{&d, 0};
    png_set_read_fn(png, &src, [](png_structp p, png_bytep out, png_size_t n) {
      auto* s = static_cast<PngSource*>(png_get_io_ptr(p));
      if (n > s->d->size() - s->at) png_error(p, "truncated PNG");
      std::memcpy(out, s->d->data() + s->at, n);
      s->at += n;
    });
    png_set_user_limits(png, kMaxSide, kMaxSide);
    png_read_info(png, info);
    const int64_t w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    error = size_error(w, h);
    if (error.empty()) {
      png_set_expand(png);        // palette, low-bit grey and tRNS to 8-bit channels
      png_set_strip_16(png);      // the high byte, as PaddleSeg's reader keeps
      png_set_strip_alpha(png);   // dropped, not composed
      png_set_gray_to_rgb(png);
      png_read_update_info(png, info);
      if (png_get_rowbytes(png, info) != static_cast<size_t>(3 * w)) {
        error = "PNG with an unexpected layout";
      } else {
        im->width = w, im->height = h;
        im->rgb.resize(w * h * 3);
        rows.resize(h);
        for (int64_t y = 0; y < h; ++y) rows[y] = im->rgb.data() + y * w * 3;
        png_read_image(png, rows.data());
      }
    }
  }
  png_destroy_read_struct(&png, info ? &info : nullptr, nullptr);
  return error;
}
#endif

#ifdef PPMS_HAVE_JPEG
struct JpegError {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

// The EXIF orientation (1-8) in an APP1 marker's data, or 1 where there is none or it is malformed: a TIFF header
// ("II" or "MM"), IFD0's entries, tag 0x0112 as a SHORT. Every offset is checked against the marker's length.
int exif_orientation(const uint8_t* p, size_t n) {
  if (n < 14 || std::memcmp(p, "Exif\0\0", 6) != 0) return 1;
  p += 6, n -= 6;
  const bool little = p[0] == 'I' && p[1] == 'I';
  if (!little && !(p[0] == 'M' && p[1] == 'M')) return 1;
  auto u16 = [&](size_t at) { return little ? p[at] | p[at + 1] << 8 : p[at] << 8 | p[at + 1]; };
  auto u32 = [&](size_t at) {
    return little ? uint32_t(u16(at)) | uint32_t(u16(at + 2)) << 16 : uint32_t(u16(at)) << 16 | uint32_t(u16(at + 2));
  };
  const uint32_t ifd = u32(4);
  if (ifd > n - 2) return 1;
  const size_t entries = u16(ifd);
  for (size_t i = 0; i < entries; ++i) {
    const size_t at = ifd + 2 + 12 * i;
    if (at + 12 > n) return 1;
    if (u16(at) == 0x0112 && u16(at + 2) == 3) {
      const int v = u16(at + 8);
      return v >= 1 && v <= 8 ? v : 1;
    }
  }
  return 1;
}

// im turned upright as EXIF orientation o says (what Pillow's ImageOps.exif_transpose does, so that ppms_run and
// `ppms segment` see the same pixels): 2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate 90 clockwise,
// 7 transverse, 8 rotate 90 counter-clockwise.
void orient(Image* im, int o) {
  if (o <= 1) return;
  const int64_t w = im->width, h = im->height;
  const bool swap = o >= 5;
  const int64_t W = swap ? h : w, H = swap ? w : h;
  std::vector<uint8_t> out(im->rgb.size());
  for (int64_t y = 0; y < H; ++y)
    for (int64_t x = 0; x < W; ++x) {
      int64_t sx = x, sy = y;  // the source pixel of output (x, y)
      switch (o) {
        case 2: sx = w - 1 - x; break;
        case 3: sx = w - 1 - x, sy = h - 1 - y; break;
        case 4: sy = h - 1 - y; break;
        case 5: sx = y, sy = x; break;
        case 6: sx = y, sy = h - 1 - x; break;
        case 7: sx = w - 1 - y, sy = h - 1 - x; break;
        case 8: sx = w - 1 - y, sy = x; break;
      }
      std::memcpy(&out[(y * W + x) * 3], &im->rgb[(sy * w + sx) * 3], 3);
    }
  im->width = W, im->height = H, im->rgb = std::move(out);
}

std::string read_jpeg(const std::vector<uint8_t>& d, Image* im) {
  jpeg_decompress_struct cinfo;
  JpegError err;
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = [](j_common_ptr c) {
    auto* e = reinterpret_cast<JpegError*>(c->err);
    c->err->format_message(c, e->message);
    std::longjmp(e->jump, 1);
  };
  err.mgr.output_message = [](j_common_ptr) {};  // warnings: not on stderr
  std::string error;
  jpeg_create_decompress(&cinfo);
  if (setjmp(err.jump) != 0) {
    error = std::string("malformed JPEG: ") + err.message;  // set here: see read_png
  } else {
    jpeg_mem_src(&cinfo, d.data(), static_cast<unsigned long>(d.size()));
    jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xffff);
    jpeg_read_header(&cinfo, TRUE);
    int orientation = 1;
    for (jpeg_saved_marker_ptr m = cinfo.marker_list; m != nullptr && orientation == 1; m = m->next)
      orientation = exif_orientation(m->data, m->data_length);
    error = size_error(cinfo.image_width, cinfo.image_height);
    if (error.empty()) {
      cinfo.out_color_space = JCS_RGB;
      jpeg_start_decompress(&cinfo);
      const int64_t w = cinfo.output_width, h = cinfo.output_height;
      im->width = w, im->height = h;
      im->rgb.resize(w * h * 3);
      while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = im->rgb.data() + static_cast<int64_t>(cinfo.output_scanline) * w * 3;
        jpeg_read_scanlines(&cinfo, &row, 1);
      }
      jpeg_finish_decompress(&cinfo);
      orient(im, orientation);
    }
  }
  jpeg_destroy_decompress(&cinfo);
  return error;
}
#endif

}  // namespace

std::string image_formats() {
  std::string s = "ppm pgm raw";
#ifdef PPMS_HAVE_PNG
  s += " png";
#endif
#ifdef PPMS_HAVE_JPEG
  s += " jpeg";
#endif
  return s;
}

std::string read_image(const std::string& path, Image* im, int64_t raw_width, int64_t raw_height) {
  std::vector<uint8_t> d;
  std::string e = read_file(path, &d);
  if (!e.empty()) return e;
  if (raw_width > 0) {
    e = size_error(raw_width, raw_height);
    if (!e.empty()) return e;
    if (static_cast<int64_t>(d.size()) != raw_width * raw_height * 3)
      return path + " holds " + std::to_string(d.size()) + " bytes, not the " +
             std::to_string(raw_width * raw_height * 3) + " of " + std::to_string(raw_width) + " x " +
             std::to_string(raw_height) + " RGB pixels";
    im->width = raw_width, im->height = raw_height, im->rgb = std::move(d);
    return "";
  }
  if (d.size() >= 2 && d[0] == 'P' && (d[1] == '5' || d[1] == '6')) e = read_pnm(d, im);
#ifdef PPMS_HAVE_PNG
  else if (d.size() >= 8 && png_sig_cmp(d.data(), 0, 8) == 0) e = read_png(d, im);
#endif
#ifdef PPMS_HAVE_JPEG
  else if (d.size() >= 3 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff) e = read_jpeg(d, im);
#endif
  else
    return path + ": not an image this ppms_run reads (" + image_formats() + ")";
  return e.empty() ? e : path + ": " + e;
}

namespace {
bool ends_with(const std::string& s, const char* tail) {
  const size_t n = std::strlen(tail);
  if (s.size() < n) return false;
  for (size_t i = 0; i < n; ++i)
    if (std::tolower(static_cast<unsigned char>(s[s.size() - n + i])) != tail[i]) return false;
  return true;
}
}  // namespace

std::string grey_format_error(const std::string& path) {
  if (ends_with(path, ".pgm")) return "";
#ifdef PPMS_HAVE_PNG
  if (ends_with(path, ".png")) return "";
  return path + ": the label map is written as .png or .pgm (the name says which)";
#else
  return path + ": this ppms_run was built without libpng: the label map is written as .pgm";
#endif
}

std::string write_grey(const std::string& path, const uint8_t* pixels, int64_t width, int64_t height) {
  const std::string bad = grey_format_error(path);
  if (!bad.empty()) return bad;
  const bool png = ends_with(path, ".png");
#ifdef PPMS_HAVE_PNG
  if (png) {
    png_image out;
    std::memset(&out, 0, sizeof(out));
    out.version = PNG_IMAGE_VERSION;
    out.width = static_cast<png_uint_32>(width);
    out.height = static_cast<png_uint_32>(height);
    out.format = PNG_FORMAT_GRAY;
    if (!png_image_write_to_file(&out, path.c_str(), 0, pixels, 0, nullptr))
      return "cannot write " + path + " (" + out.message + ")";
    return "";
  }
#endif
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return "cannot write " + path;
  const std::string header = "P5\n" + std::to_string(width) + " " + std::to_string(height) + "\n255\n";
  const bool ok = std::fwrite(header.data(), 1, header.size(), f) == header.size() &&
                  std::fwrite(pixels, 1, width * height, f) == static_cast<size_t>(width * height);
  return std::fclose(f) == 0 && ok ? "" : "cannot write " + path;
}

}  // namespace ppms_tools
