// RAII wrappers for the driver API's mutex and condition variable.
//
// erl_drv_mutex_* and erl_drv_cond_* are thread-safe and may be used from the
// instance threads as well as from scheduler threads.
#pragma once

#include <erl_driver.h>

#include <new>

namespace hb_beamr::driver {

/// An ErlDrvMutex. Move-less and copy-less: it lives where it was made.
class DrvMutex {
public:
  /// `name` is shown by lock checking; it must outlive the mutex.
  explicit DrvMutex(const char *name)
      : mutex_(erl_drv_mutex_create(const_cast<char *>(name))) {
    if (mutex_ == nullptr)
      throw std::bad_alloc();
  }
  /// Destroys the mutex; it must not be locked.
  ~DrvMutex() { erl_drv_mutex_destroy(mutex_); }
  DrvMutex(const DrvMutex &) = delete;
  DrvMutex &operator=(const DrvMutex &) = delete;

  /// Locks, waiting for it (not recursive).
  void lock() { erl_drv_mutex_lock(mutex_); }
  /// Unlocks; the caller must hold it.
  void unlock() { erl_drv_mutex_unlock(mutex_); }
  /// Borrowed handle, for DrvCond::wait.
  ErlDrvMutex *capi() const { return mutex_; }

private:
  ErlDrvMutex *mutex_;
};

/// Scoped lock on a DrvMutex.
class DrvLock {
public:
  /// Locks `mutex` until the end of the scope.
  explicit DrvLock(DrvMutex &mutex) : mutex_(mutex) { mutex_.lock(); }
  ~DrvLock() { mutex_.unlock(); }
  DrvLock(const DrvLock &) = delete;
  DrvLock &operator=(const DrvLock &) = delete;

private:
  DrvMutex &mutex_;
};

/// An ErlDrvCond, always used with one DrvMutex held by the waiter.
class DrvCond {
public:
  /// `name` is shown by lock checking; it must outlive the condition.
  explicit DrvCond(const char *name)
      : cond_(erl_drv_cond_create(const_cast<char *>(name))) {
    if (cond_ == nullptr)
      throw std::bad_alloc();
  }
  ~DrvCond() { erl_drv_cond_destroy(cond_); }
  DrvCond(const DrvCond &) = delete;
  DrvCond &operator=(const DrvCond &) = delete;

  /// Waits; `mutex` must be locked by the caller. May wake spuriously.
  void wait(DrvMutex &mutex) { erl_drv_cond_wait(cond_, mutex.capi()); }
  /// Wakes one waiter.
  void signal() { erl_drv_cond_signal(cond_); }
  /// Wakes every waiter.
  void broadcast() { erl_drv_cond_broadcast(cond_); }

private:
  ErlDrvCond *cond_;
};

} // namespace hb_beamr::driver
