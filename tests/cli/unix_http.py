"""HTTP and XML-RPC over procmon's (or supervisord's) unix socket, for the
tests' Python clients: Connection(path) is an http.client connection to
it, rpc(path) an xmlrpc.client proxy for its /RPC2."""
import http.client
import socket
import xmlrpc.client


class Connection(http.client.HTTPConnection):
    def __init__(self, path, timeout=30):
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.socket_path)


class _Transport(xmlrpc.client.Transport):
    def __init__(self, path):
        super().__init__()
        self.socket_path = path

    def make_connection(self, host):
        return Connection(self.socket_path)


def rpc(path):
    return xmlrpc.client.ServerProxy("http://localhost/RPC2", transport=_Transport(path))
