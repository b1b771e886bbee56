/*
 * Minimal Linux tun addon for gwlb-sim. Uses only node_api.h (N-API 8).
 *
 *   open(name)              -> { fd, name }   open /dev/net/tun, TUNSETIFF (IFF_TUN | IFF_NO_PI)
 *   setUp(name, mtu)        -> undefined      SIOCSIFMTU + SIOCSIFFLAGS (IFF_UP) on the device
 *   close(fd)               -> undefined
 *
 * Packets are read and written by JavaScript through the returned file descriptor
 * (fs.read on the libuv threadpool, fs.writeSync), so this addon never blocks the event loop.
 * Errors throw with the operation, the device name and strerror(errno).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <node_api.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHECK(env, call)                                   \
  do {                                                     \
    if ((call) != napi_ok) {                               \
      napi_throw_error((env), NULL, "N-API call failed: " #call); \
      return NULL;                                         \
    }                                                      \
  } while (0)

static napi_value throw_errno(napi_env env, const char *op, const char *name, int err) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s %s: %s (errno %d)", op, name, strerror(err), err);
  napi_throw_error(env, NULL, msg);
  return NULL;
}

/* Reads argument `index` as an interface name (1..IFNAMSIZ-1 bytes) into `out`. */
static int get_ifname(napi_env env, napi_value value, char out[IFNAMSIZ]) {
  size_t len = 0;
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_string) {
    napi_throw_type_error(env, NULL, "tun: interface name must be a string");
    return -1;
  }
  if (napi_get_value_string_utf8(env, value, NULL, 0, &len) != napi_ok || len == 0 || len >= IFNAMSIZ) {
    napi_throw_range_error(env, NULL, "tun: interface name must be 1 to 15 bytes");
    return -1;
  }
  napi_get_value_string_utf8(env, value, out, IFNAMSIZ, &len);
  return 0;
}

static napi_value tun_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char name[IFNAMSIZ] = {0};
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "tun.open(name): name is required");
    return NULL;
  }
  if (get_ifname(env, argv[0], name) != 0) return NULL;

  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, "open /dev/net/tun for", name, errno);

  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  memcpy(ifr.ifr_name, name, IFNAMSIZ);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "ioctl(TUNSETIFF)", name, err);
  }

  napi_value result, jsfd, jsname;
  CHECK(env, napi_create_object(env, &result));
  CHECK(env, napi_create_int32(env, fd, &jsfd));
  CHECK(env, napi_create_string_utf8(env, ifr.ifr_name, strnlen(ifr.ifr_name, IFNAMSIZ), &jsname));
  CHECK(env, napi_set_named_property(env, result, "fd", jsfd));
  CHECK(env, napi_set_named_property(env, result, "name", jsname));
  return result;
}

static napi_value tun_set_up(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  char name[IFNAMSIZ] = {0};
  int32_t mtu = 0;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "tun.setUp(name, mtu): name and mtu are required");
    return NULL;
  }
  if (get_ifname(env, argv[0], name) != 0) return NULL;
  if (napi_get_value_int32(env, argv[1], &mtu) != napi_ok || mtu < 68 || mtu > 65535) {
    napi_throw_range_error(env, NULL, "tun.setUp: mtu must be an integer 68..65535");
    return NULL;
  }

  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return throw_errno(env, "socket(AF_INET) for", name, errno);

  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, name, IFNAMSIZ);
  ifr.ifr_mtu = mtu;
  if (ioctl(sock, SIOCSIFMTU, &ifr) < 0) {
    int err = errno;
    close(sock);
    return throw_errno(env, "ioctl(SIOCSIFMTU)", name, err);
  }
  if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) {
    int err = errno;
    close(sock);
    return throw_errno(env, "ioctl(SIOCGIFFLAGS)", name, err);
  }
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) {
    int err = errno;
    close(sock);
    return throw_errno(env, "ioctl(SIOCSIFFLAGS)", name, err);
  }
  close(sock);
  return NULL;
}

static napi_value tun_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd = -1;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "tun.close(fd): fd must be a non-negative integer");
    return NULL;
  }
  if (close(fd) < 0) return throw_errno(env, "close", "tun fd", errno);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"open", NULL, tun_open, NULL, NULL, NULL, napi_enumerable, NULL},
    {"setUp", NULL, tun_set_up, NULL, NULL, NULL, napi_enumerable, NULL},
    {"close", NULL, tun_close, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  CHECK(env, napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
