/* WAMR's output sink (WAMR_BH_VPRINTF in engine/wamr/CMakeLists.txt).
 *
 * WAMR prints with os_printf: its log (bh_log) and, because it is built with
 * call-stack dumps, the wasm frames of every trap. hb_beamr runs inside other
 * programs (the BEAM among them) whose stdout is not WAMR's to write to, and
 * everything WAMR would report reaches callers as an error value anyway. So
 * the output is dropped here, whatever the log level. */
#include <stdarg.h>

int hb_beamr_wamr_vprintf(const char *format, va_list ap);

int hb_beamr_wamr_vprintf(const char *format, va_list ap) {
  (void)format;
  (void)ap;
  return 0;
}
