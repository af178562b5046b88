/* PNG / JPEG / TIFF input and 16-bit PNG output through ITK's image IO (explicit IO objects, no
 * factory registration: only these three formats are accepted). Such files carry no
 * temperature scale, so the reader always returns intensity in [0,1].
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <cmath>
#include <cstdio>
#include <exception>
#include <new>

#include "itkImage.h"
#include "itkImageFileReader.h"
#include "itkImageFileWriter.h"
#include "itkJPEGImageIO.h"
#include "itkPNGImageIO.h"
#include "itkTIFFImageIO.h"
#include "itkVectorImage.h"

#include "thermoguard/preprocess.h"

namespace {

/* Full-scale value of an integer component type; 0 for floating types (scaled by range). */
double full_scale(itk::IOComponentEnum t)
{
    switch (t) {
    case itk::IOComponentEnum::UCHAR: return 255.0;
    case itk::IOComponentEnum::CHAR: return 127.0;
    case itk::IOComponentEnum::USHORT: return 65535.0;
    case itk::IOComponentEnum::SHORT: return 32767.0;
    case itk::IOComponentEnum::UINT: return 4294967295.0;
    case itk::IOComponentEnum::INT: return 2147483647.0;
    default: return 0.0;
    }
}

} // namespace

extern "C" {

tg_status tg_image_read_file(const char *path, tg_image *out, int *has_temperature)
{
    if (!out)
        return tg_fail(TG_ERR_ARG, "image read: NULL output");
    out->c = out->h = out->w = 0;
    out->data = nullptr;
    if (has_temperature)
        *has_temperature = 0;
    if (!path || !*path)
        return tg_fail(TG_ERR_ARG, "image read: empty path");
    FILE *f = std::fopen(path, "rb");
    if (!f)
        return tg_fail(TG_ERR_IO, "%s: cannot open", path);
    std::fclose(f);
    try {
        itk::ImageIOBase::Pointer io;
        itk::ImageIOBase::Pointer candidates[] = {itk::PNGImageIO::New().GetPointer(),
                                                  itk::JPEGImageIO::New().GetPointer(),
                                                  itk::TIFFImageIO::New().GetPointer()};
        for (auto &c : candidates)
            if (c->CanReadFile(path)) {
                io = c;
                break;
            }
        if (!io)
            return tg_fail(TG_ERR_FORMAT, "%s: not a PNG, JPEG or TIFF file", path);
        io->SetFileName(path);
        io->ReadImageInformation();
        if (io->GetNumberOfDimensions() < 2)
            return tg_fail(TG_ERR_FORMAT, "%s: not a 2-D image", path);
        size_t w = io->GetDimensions(0), h = io->GetDimensions(1);
        for (unsigned d = 2; d < io->GetNumberOfDimensions(); ++d)
            if (io->GetDimensions(d) != 1)
                return tg_fail(TG_ERR_FORMAT, "%s: multi-page or 3-D images are not supported", path);
        if (w == 0 || h == 0)
            return tg_fail(TG_ERR_FORMAT, "%s: empty image", path);
        if (w > TG_PREPROCESS_MAX_PIXELS / h)
            return tg_fail(TG_ERR_OVERFLOW, "%s: %zu x %zu image above the %zu pixel limit", path, h, w,
                           static_cast<size_t>(TG_PREPROCESS_MAX_PIXELS));
        unsigned nc = io->GetNumberOfComponents();
        if (nc < 1 || nc > 4)
            return tg_fail(TG_ERR_FORMAT, "%s: %u components per pixel not supported", path, nc);
        double scale = full_scale(io->GetComponentType());

        using VImage = itk::VectorImage<float, 2>;
        auto reader = itk::ImageFileReader<VImage>::New();
        reader->SetFileName(path);
        reader->SetImageIO(io);
        reader->Update();
        const VImage *img = reader->GetOutput();
        const float *px = img->GetBufferPointer();
        unsigned vl = img->GetNumberOfComponentsPerPixel();
        tg_status st = tg_image_create(out, 1, static_cast<int>(h), static_cast<int>(w));
        if (st != TG_OK)
            return st;
        size_t n = h * w;
        for (size_t i = 0; i < n; ++i) {
            const float *p = px + i * vl;
            /* Grey (+alpha) uses the first component; RGB(A) Rec. 709 luminance. */
            out->data[i] = vl >= 3 ? 0.2126f * p[0] + 0.7152f * p[1] + 0.0722f * p[2] : p[0];
        }
        if (scale > 0) {
            for (size_t i = 0; i < n; ++i)
                out->data[i] = std::clamp(static_cast<float>(out->data[i] / scale), 0.0f, 1.0f);
        } else {
            /* Floating-point TIFF: no full scale to refer to; keep [0,1] data, else map min..max. */
            tg_status fin = tg_image_check_finite(out);
            if (fin != TG_OK) {
                tg_image_destroy(out);
                return tg_fail(TG_ERR_NONFINITE, "%s: non-finite pixel values", path);
            }
            auto mm = std::minmax_element(out->data, out->data + n);
            float lo = *mm.first, hi = *mm.second;
            if (lo < 0.0f || hi > 1.0f) {
                float span = hi > lo ? hi - lo : 1.0f;
                for (size_t i = 0; i < n; ++i)
                    out->data[i] = (out->data[i] - lo) / span;
            }
        }
    } catch (const itk::ExceptionObject &e) {
        tg_image_destroy(out);
        return tg_fail(TG_ERR_FORMAT, "%s: cannot decode: %s", path, e.GetDescription());
    } catch (const std::bad_alloc &) {
        tg_image_destroy(out);
        return tg_fail(TG_ERR_NOMEM, "%s: out of memory", path);
    } catch (const std::exception &e) {
        tg_image_destroy(out);
        return tg_fail(TG_ERR_FORMAT, "%s: %s", path, e.what());
    }
    return TG_OK;
}

tg_status tg_image_write_png(const char *path, const tg_image *img, int channel, double lo, double hi)
{
    if (!path || !img || !img->data || img->h < 1 || img->w < 1)
        return tg_fail(TG_ERR_ARG, "png write: empty image or path");
    if (channel < 0 || channel >= img->c)
        return tg_fail(TG_ERR_ARG, "png write: channel %d outside 0..%d", channel, img->c - 1);
    if (!std::isfinite(lo) || !std::isfinite(hi) || !(lo < hi))
        return tg_fail(TG_ERR_ARG, "png write: range %g..%g must be finite with lo < hi", lo, hi);
    const float *src = tg_image_channel(img, channel);
    size_t n = static_cast<size_t>(img->h) * img->w;
    for (size_t i = 0; i < n; ++i)
        if (!std::isfinite(src[i]))
            return tg_fail(TG_ERR_NONFINITE, "png write: %s: non-finite pixel %zu", path, i);
    try {
        using UImage = itk::Image<unsigned short, 2>;
        auto u = UImage::New();
        UImage::SizeType size;
        size[0] = static_cast<itk::SizeValueType>(img->w);
        size[1] = static_cast<itk::SizeValueType>(img->h);
        u->SetRegions(size);
        u->Allocate();
        unsigned short *dst = u->GetBufferPointer();
        for (size_t i = 0; i < n; ++i) {
            double v = (src[i] - lo) / (hi - lo);
            dst[i] = static_cast<unsigned short>(std::lround(std::clamp(v, 0.0, 1.0) * 65535.0));
        }
        auto writer = itk::ImageFileWriter<UImage>::New();
        writer->SetFileName(path);
        writer->SetImageIO(itk::PNGImageIO::New());
        writer->SetInput(u);
        writer->Update();
    } catch (const itk::ExceptionObject &e) {
        return tg_fail(TG_ERR_IO, "%s: cannot write PNG: %s", path, e.GetDescription());
    } catch (const std::bad_alloc &) {
        return tg_fail(TG_ERR_NOMEM, "%s: out of memory", path);
    }
    return TG_OK;
}

tg_status tg_image_encode_png(const tg_image *img, int channel, double lo, double hi, uint8_t **data, size_t *size)
{
    if (!img || !img->data || img->h < 1 || img->w < 1 || !data || !size)
        return tg_fail(TG_ERR_ARG, "png encode: empty image or NULL output");
    *data = nullptr;
    *size = 0;
    if (channel < 0 || channel >= img->c)
        return tg_fail(TG_ERR_ARG, "png encode: channel %d outside 0..%d", channel, img->c - 1);
    if (!std::isfinite(lo) || !std::isfinite(hi) || !(lo < hi))
        return tg_fail(TG_ERR_ARG, "png encode: range %g..%g must be finite with lo < hi", lo, hi);
    const float *src = tg_image_channel(img, channel);
    size_t n = static_cast<size_t>(img->h) * img->w;
    for (size_t i = 0; i < n; ++i)
        if (!std::isfinite(src[i]))
            return tg_fail(TG_ERR_NONFINITE, "png encode: non-finite pixel %zu", i);
    char path[] = "/tmp/thermoguard_png_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return tg_fail(TG_ERR_IO, "png encode: cannot create a temporary file: %s", std::strerror(errno));
    close(fd);
    tg_status st = TG_OK;
    try {
        using BImage = itk::Image<unsigned char, 2>;
        auto u = BImage::New();
        BImage::SizeType sz;
        sz[0] = static_cast<itk::SizeValueType>(img->w);
        sz[1] = static_cast<itk::SizeValueType>(img->h);
        u->SetRegions(sz);
        u->Allocate();
        unsigned char *dst = u->GetBufferPointer();
        for (size_t i = 0; i < n; ++i) {
            double v = (src[i] - lo) / (hi - lo);
            dst[i] = static_cast<unsigned char>(std::lround(std::clamp(v, 0.0, 1.0) * 255.0));
        }
        auto writer = itk::ImageFileWriter<BImage>::New();
        writer->SetFileName(path);
        writer->SetImageIO(itk::PNGImageIO::New());
        writer->SetInput(u);
        writer->Update();
    } catch (const itk::ExceptionObject &e) {
        st = tg_fail(TG_ERR_IO, "png encode: ITK failed: %s", e.GetDescription());
    } catch (const std::bad_alloc &) {
        st = tg_fail(TG_ERR_NOMEM, "png encode: out of memory");
    }
    FILE *f = st == TG_OK ? std::fopen(path, "rb") : nullptr;
    if (st == TG_OK && !f)
        st = tg_fail(TG_ERR_IO, "png encode: cannot reopen %s", path);
    if (f) {
        std::fseek(f, 0, SEEK_END);
        long len = std::ftell(f);
        std::fseek(f, 0, SEEK_SET);
        uint8_t *buf = len > 0 ? static_cast<uint8_t *>(std::malloc(static_cast<size_t>(len))) : nullptr;
        if (!buf)
            st = tg_fail(TG_ERR_NOMEM, "png encode: out of memory");
        else if (std::fread(buf, 1, static_cast<size_t>(len), f) != static_cast<size_t>(len))
            st = tg_fail(TG_ERR_IO, "png encode: short read of %s", path);
        if (st == TG_OK) {
            *data = buf;
            *size = static_cast<size_t>(len);
        } else {
            std::free(buf);
        }
        std::fclose(f);
    }
    std::remove(path);
    return st;
}

} // extern "C"
