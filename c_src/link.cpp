// Link; see link.hpp.
#include "link.hpp"

#include "protocol.hpp"

namespace hb_beamr::driver {

Link::Link(ErlDrvTermData port, ErlDrvTermData owner)
    : port_(port), owner_(owner) {}

void Link::send_to(ErlDrvTermData receiver, const Tag &tag,
                   const TermBuffer &reply) {
  TermBuffer fallback;
  const TermBuffer *term = &reply;
  if (!reply.ok()) {
    encode_error_atom(fallback, "enomem");
    if (!fallback.ok())
      return;
    term = &fallback;
  }
  // {Port, Tag, Reply}
  // clang-format off
  ErlDrvTermData spec[] = {
      ERL_DRV_PORT, port_,
      ERL_DRV_EXT2TERM, reinterpret_cast<ErlDrvTermData>(tag.data()), tag.size(),
      ERL_DRV_EXT2TERM, reinterpret_cast<ErlDrvTermData>(term->data()), term->size(),
      ERL_DRV_TUPLE, 3,
  };
  // clang-format on
  DrvLock lock(mutex_);
  if (!open_)
    return;
  erl_drv_send_term(port_, receiver != 0 ? receiver : owner_, spec,
                    sizeof(spec) / sizeof(spec[0]));
}

void Link::send_ok_binary(const Tag &tag, const uint8_t *data, size_t size) {
  TermBuffer ok;
  ok.atom("ok");
  if (!ok.ok())
    return;
  // {Port, Tag, {ok, Binary}}
  // clang-format off
  ErlDrvTermData spec[] = {
      ERL_DRV_PORT, port_,
      ERL_DRV_EXT2TERM, reinterpret_cast<ErlDrvTermData>(tag.data()), tag.size(),
      ERL_DRV_EXT2TERM, reinterpret_cast<ErlDrvTermData>(ok.data()), ok.size(),
      ERL_DRV_BUF2BINARY, reinterpret_cast<ErlDrvTermData>(data), size,
      ERL_DRV_TUPLE, 2,
      ERL_DRV_TUPLE, 3,
  };
  // clang-format on
  DrvLock lock(mutex_);
  if (!open_)
    return;
  erl_drv_send_term(port_, owner_, spec, sizeof(spec) / sizeof(spec[0]));
}

void Link::close() {
  DrvLock lock(mutex_);
  open_ = false;
}

} // namespace hb_beamr::driver
