/* Preloaded into a child VM by hb_beamr_28_no_threads_tests: while the file
 * named by $HB_BEAMR_NO_THREADS exists, pthread_create fails with EAGAIN, as
 * it does under a process thread limit. RLIMIT_NPROC cannot stand in for it
 * here: it does not apply to root, which the tests may run as. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

typedef int (*create_fn)(pthread_t *, const pthread_attr_t *,
                         void *(*)(void *), void *);

int pthread_create(pthread_t *thread, const pthread_attr_t *attr,
                   void *(*start)(void *), void *arg) {
  static create_fn real = NULL;
  const char *flag = getenv("HB_BEAMR_NO_THREADS");
  if (flag != NULL && access(flag, F_OK) == 0)
    return EAGAIN;
  if (real == NULL)
    real = (create_fn)dlsym(RTLD_NEXT, "pthread_create");
  return real(thread, attr, start, arg);
}
