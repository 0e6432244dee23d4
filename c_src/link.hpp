// The way back to Erlang: every message an instance sends.
#pragma once

#include <erl_driver.h>

#include <cstddef>
#include <cstdint>

#include "drv_sync.hpp"
#include "term_buffer.hpp"

namespace hb_beamr::driver {

/// Where an instance's messages go: its port's owner, as {Port, Tag, Reply}.
/// Thread-safe. After close() every send is dropped, so the thread never
/// uses a port that is gone.
class Link {
public:
  Link(ErlDrvTermData port, ErlDrvTermData owner);

  /// Sends {Port, Tag, Reply}; a reply that failed to encode is replaced by
  /// {error, enomem}.
  void send(const Tag &tag, const TermBuffer &reply) {
    send_to(owner_, tag, reply);
  }
  /// The same, to process `receiver` instead of the port's owner (0: the
  /// owner).
  void send_to(ErlDrvTermData receiver, const Tag &tag,
               const TermBuffer &reply);
  /// Sends {Port, Tag, {ok, Binary}}, copying `size` bytes from `data`.
  void send_ok_binary(const Tag &tag, const uint8_t *data, size_t size);
  /// Drops every later send. Called when the port stops.
  void close();

private:
  ErlDrvTermData port_;
  ErlDrvTermData owner_;
  DrvMutex mutex_{"hb_beamr_link"};
  bool open_ = true;
};

} // namespace hb_beamr::driver
