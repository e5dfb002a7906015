// motebook: emlearn_melspectrogram, log-mel frames on emlearn's eml_audio.h (the name of
// emlearn-micropython's work-in-progress module: new(...) -> an object with .run(samples, mels)).
// One frame: emlearn's Hann window (eml_signal_hann_apply), eml_fft_forward, the power
// (re^2 + im^2) / n_fft, eml_audio_melspec's triangles applied as a sparse table by
// eml_sparse_filterbank, 10 log10(max(power, 1e-10)) dB. The power squares both parts (emlearn
// 0.23.2's eml_audio_power_spectrogram squares only the real part, see shared/SOUND.md), so
// the frames equal shared/mel.py's and its golden vectors.
// The table is made once at new() with eml_audio.h's own helpers (band centres, bins, FFT bin
// frequencies) in eml_audio_melspec's float32 order, so each weight is the one it applies.
// Memory, made at new(): window, re, im (n_fft floats each), the FFT's sin/cos (n_fft/2 each),
// starts/stops (n_mels ints each), the weights (~n_fft floats); run() allocates nothing and
// does not modify its input. 512/32: about 10.7 KB.
#include <string.h>
#include "py/runtime.h"
#include "mb_emlearn.h"

// eml_fft.h's functions are not static and emlearn_fft (fft.c) defines them too: this unit's
// copies get names of their own (the same code, ~0.5 KB), so every linker accepts both
#define eml_fft_fill mb_mel_eml_fft_fill
#define eml_fft_forward mb_mel_eml_fft_forward
MB_EML_INCLUDE_BEGIN
#include <eml_audio.h>
MB_EML_INCLUDE_END

#define MB_MEL_MAX_FFT (4096)
#define MB_MEL_MAX_MELS (256)
#define MB_MEL_FLOOR (1e-10f)

typedef struct _mb_mel_obj_t {
    mp_obj_base_t base;
    EmlAudioMel params;
    EmlFFT fft;
    float *window;
    float *re;
    float *im;
    int *starts;
    int *stops;
    float *lut;
    int n_lut;
} mb_mel_obj_t;

static const mp_obj_type_t mb_mel_type;

static float mb_mel_clamp01(float w) {
    return w < 0.0f ? 0.0f : (w > 1.0f ? 1.0f : w);
}

// The weights eml_audio_melspec gives every bin of band m (1-based), in its order: the rising
// edge over bins left..center, the falling edge over center+1..right. `lut` NULL: count only.
// Returns the number of weights, or -1 when the band reaches outside the spectrum.
static int mb_mel_band(const EmlAudioMel p, int m, float *lut, int *start, int *stop, float *top) {
    const int max_bin = 1 + p.n_fft / 2;
    const int left = mel_bin(p, m - 1);
    const int center = mel_bin(p, m);
    const int right = mel_bin(p, m + 1);
    if (left < 0 || right >= max_bin) {
        return -1;
    }
    *start = left;
    *stop = right > center ? right : center;
    int n = 0;
    *top = 0.0f;
    if (lut) {
        const float c0 = eml_audio_mel_center(p, m - 1);
        const float c1 = eml_audio_mel_center(p, m);
        const float c2 = eml_audio_mel_center(p, m + 1);
        const float fdifflow = c1 - c0;
        const float fdiffupper = c2 - c1;
        for (int k = left; k <= center; k++) {
            const float r = c0 - eml_fft_freq(p, k);
            lut[n] = mb_mel_clamp01(-r / fdifflow);
            *top = lut[n] > *top ? lut[n] : *top;
            n++;
        }
        for (int k = center; k < right; k++) {
            const float r = c2 - eml_fft_freq(p, k + 1);
            lut[n] = mb_mel_clamp01(r / fdiffupper);
            *top = lut[n] > *top ? lut[n] : *top;
            n++;
        }
    } else {
        n = *stop - left + 1;
    }
    return n;
}

// new(n_fft, n_mels, fmin, fmax, samplerate)
static mp_obj_t mb_mel_new(size_t n_args, const mp_obj_t *args) {
    (void)n_args;
    mp_int_t n_fft = mb_get_int_range(args[0], 16, MB_MEL_MAX_FFT, "n_fft");
    if ((n_fft & (n_fft - 1)) != 0) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("n_fft must be a power of two, got %d"), (int)n_fft);
    }
    mp_int_t n_mels = mb_get_int_range(args[1], 1, MB_MEL_MAX_MELS, "n_mels");
    float fmin = mb_get_finite_float(args[2], "fmin");
    float fmax = mb_get_finite_float(args[3], "fmax");
    mp_int_t fs = mb_get_int_range(args[4], 1000, 384000, "samplerate");
    if (!(fmin >= 0.0f && fmin < fmax && fmax <= (float)fs / 2.0f)) {
        mp_raise_ValueError(MP_ERROR_TEXT("mel range must lie within 0..samplerate/2 with fmin < fmax"));
    }
    EmlAudioMel p = { (int)n_mels, fmin, fmax, (int)n_fft, (int)fs };
    // the bins first (no allocation), so a bad setting raises before anything is made
    int total = 0;
    for (int m = 1; m <= n_mels; m++) {
        int start, stop;
        float top;
        int n = mb_mel_band(p, m, NULL, &start, &stop, &top);
        if (n < 0) {
            mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("mel band %d reaches outside the %d FFT bins"),
                m, (int)(1 + n_fft / 2));
        }
        total += n;
    }
    mb_mel_obj_t *o = mp_obj_malloc(mb_mel_obj_t, &mb_mel_type);
    o->params = p;
    o->n_lut = total;
    o->starts = m_new(int, n_mels);
    o->stops = m_new(int, n_mels);
    o->lut = m_new(float, total);
    int off = 0;
    for (int m = 1; m <= n_mels; m++) {
        float top;
        int n = mb_mel_band(p, m, o->lut + off, &o->starts[m - 1], &o->stops[m - 1], &top);
        if (top <= 0.0f) {
            mp_raise_msg_varg(&mp_type_ValueError,
                MP_ERROR_TEXT("mel band %d of %d has no FFT bin: too many bands for n_fft %d"),
                m, (int)n_mels, (int)n_fft);
        }
        off += n;
    }
    o->window = m_new(float, n_fft);
    for (int i = 0; i < n_fft; i++) {
        o->window[i] = 1.0f;
    }
    eml_signal_hann_apply(o->window, (int)n_fft);
    o->re = m_new(float, n_fft);
    o->im = m_new(float, n_fft);
    o->fft.length = (int)(n_fft / 2);
    o->fft.sin = m_new(float, n_fft / 2);
    o->fft.cos = m_new(float, n_fft / 2);
    // the tables as emlearn_fft makes them (shared/mel.py's C FFT path uses those)
    const double step = 2.0 * 3.14159265358979323846 / (double)n_fft;
    for (mp_int_t i = 0; i < n_fft / 2; i++) {
        o->fft.sin[i] = (float)sin(step * (double)i);
        o->fft.cos[i] = (float)cos(step * (double)i);
    }
    return MP_OBJ_FROM_PTR(o);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(mb_mel_new_obj, 5, 5, mb_mel_new);

static mb_mel_obj_t *mb_mel_get(mp_obj_t self_in) {
    if (!mp_obj_is_type(self_in, &mb_mel_type)) {
        mp_raise_TypeError(MP_ERROR_TEXT("expecting an emlearn_melspectrogram object"));
    }
    return MP_OBJ_TO_PTR(self_in);
}

// run(samples: array('f') of n_fft, full scale 1.0, not modified; mels: array('f') of n_mels)
static mp_obj_t mb_mel_run(mp_obj_t self_in, mp_obj_t samples_in, mp_obj_t mels_in) {
    mb_mel_obj_t *o = mb_mel_get(self_in);
    const int n = o->params.n_fft;
    const int n_mels = o->params.n_mels;
    const float *x = mb_get_float_array(samples_in, n, NULL, "samples");
    float *out = mb_get_float_array(mels_in, n_mels, NULL, "mels");
    mb_check_finite(x, (size_t)n, "samples");
    float *re = o->re;
    float *im = o->im;
    for (int i = 0; i < n; i++) {
        re[i] = x[i] * o->window[i];
        im[i] = 0.0f;
    }
    EmlError err = eml_fft_forward(o->fft, re, im, (size_t)n);
    if (err != EmlOk) {
        mp_raise_msg_varg(&mp_type_RuntimeError, MP_ERROR_TEXT("eml_fft_forward failed: %d"), (int)err);
    }
    const float scale = 1.0f / (float)n;     // a power of two: exact
    for (int k = 0; k <= n / 2; k++) {
        re[k] = (re[k] * re[k] + im[k] * im[k]) * scale;
    }
    eml_sparse_filterbank(re, out, n_mels, o->starts, o->stops, o->lut);
    for (int m = 0; m < n_mels; m++) {
        const float v = out[m];
        out[m] = 10.0f * log10f(v > MB_MEL_FLOOR ? v : MB_MEL_FLOOR);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_3(mb_mel_run_obj, mb_mel_run);

// filterbank(starts, stops, weights): copies the sparse table out (array('H'), array('H'),
// array('f') of the right lengths), to compare with shared.mel.filterbank
static mp_obj_t mb_mel_filterbank(size_t n_args, const mp_obj_t *args) {
    (void)n_args;
    mb_mel_obj_t *o = mb_mel_get(args[0]);
    const int n_mels = o->params.n_mels;
    mp_buffer_info_t a, b;
    mp_get_buffer_raise(args[1], &a, MP_BUFFER_WRITE);
    mp_get_buffer_raise(args[2], &b, MP_BUFFER_WRITE);
    if (a.typecode != 'H' || b.typecode != 'H' || a.len != 2 * (size_t)n_mels || b.len != 2 * (size_t)n_mels) {
        mp_raise_ValueError(MP_ERROR_TEXT("starts, stops: expecting array('H') of n_mels"));
    }
    float *w = mb_get_float_array(args[3], o->n_lut, NULL, "weights");
    for (int m = 0; m < n_mels; m++) {
        ((uint16_t *)a.buf)[m] = (uint16_t)o->starts[m];
        ((uint16_t *)b.buf)[m] = (uint16_t)o->stops[m];
    }
    memcpy(w, o->lut, sizeof(float) * (size_t)o->n_lut);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(mb_mel_filterbank_obj, 4, 4, mb_mel_filterbank);

// n_weights(): the length of the weights table
static mp_obj_t mb_mel_n_weights(mp_obj_t self_in) {
    return MP_OBJ_NEW_SMALL_INT(mb_mel_get(self_in)->n_lut);
}
static MP_DEFINE_CONST_FUN_OBJ_1(mb_mel_n_weights_obj, mb_mel_n_weights);

static const mp_rom_map_elem_t mb_mel_locals_table[] = {
    { MP_ROM_QSTR(MP_QSTR_run), MP_ROM_PTR(&mb_mel_run_obj) },
    { MP_ROM_QSTR(MP_QSTR_filterbank), MP_ROM_PTR(&mb_mel_filterbank_obj) },
    { MP_ROM_QSTR(MP_QSTR_n_weights), MP_ROM_PTR(&mb_mel_n_weights_obj) },
};
static MP_DEFINE_CONST_DICT(mb_mel_locals, mb_mel_locals_table);

static MP_DEFINE_CONST_OBJ_TYPE(
    mb_mel_type,
    MP_QSTR_processor,
    MP_TYPE_FLAG_NONE,
    locals_dict, &mb_mel_locals
    );

static const mp_rom_map_elem_t mb_mel_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_emlearn_melspectrogram) },
    { MP_ROM_QSTR(MP_QSTR_new), MP_ROM_PTR(&mb_mel_new_obj) },
};
static MP_DEFINE_CONST_DICT(mb_mel_globals, mb_mel_globals_table);

const mp_obj_module_t mb_mel_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&mb_mel_globals,
};

MP_REGISTER_MODULE(MP_QSTR_emlearn_melspectrogram, mb_mel_module);
