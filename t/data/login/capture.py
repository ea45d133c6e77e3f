#!/usr/bin/python3
"""Records the login requests the vendors' client libraries send.

Runs each client against a stand-in server on 127.0.0.1 and writes the
bytes it received to t/data/login/NAME.req, the request line and
headers as sent, then the body.  The clients need checkouts of:

  python-zimbra   Zimbra-Community/python-zimbra @a481fce  (PYTHONZIMBRA)
  pythonApiLib    hornbill/pythonApiLib @150cc92            (HORNBILL)

and python3-requests and python3-lxml.  cvpysdk's login is the
requests.post() of Commvault/cvpysdk @6094504 cvpysdk/cvpysdk.py _login()
with the headers of commcell.py, made here the same way (cvpysdk itself
pulls in dozens of packages).  Usage:

  PYTHONZIMBRA=/path HORNBILL=/path t/data/login/capture.py

The answers are the stand-in's and matter only to keep the clients
happy; the tests replay the vendors' documented answers instead.
"""

import base64
import os
import socket
import sys
import threading

here = os.path.dirname(os.path.abspath(__file__))
PORT = int(os.environ.get("CAPTURE_PORT", "23150"))
received = []


def serve(sock):
    while True:
        conn, _ = sock.accept()
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v)
        while len(body) < length:
            body += conn.recv(65536)
        received.append(head + b"\r\n\r\n" + body)
        if b"/xmlmc/" in head.split(b"\r\n")[0]:
            answer = b'{"@status":true,"params":{"sessionId":"x"}}'
            ctype = b"application/json"
        elif body.startswith(b"{"):
            answer = (b'{"Body":{"AuthResponse":{"authToken":'
                      b'[{"_content":"t"}],"lifetime":1}}}')
            ctype = b"application/json"
        else:
            answer = (b'<soap:Envelope xmlns:soap="http://www.w3.org/2003/05'
                      b'/soap-envelope"><soap:Body><AuthResponse xmlns="urn:'
                      b'zimbraAccount"><authToken>t</authToken><lifetime>1'
                      b'</lifetime></AuthResponse></soap:Body></soap:Envelope>')
            ctype = b"text/xml"
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: " + ctype
                     + b"\r\nContent-Length: " + str(len(answer)).encode()
                     + b"\r\nConnection: close\r\n\r\n" + answer)
        conn.close()


def save(name):
    with open(os.path.join(here, name + ".req"), "wb") as f:
        f.write(received.pop())


def main():
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", PORT))
    sock.listen(5)
    threading.Thread(target=serve, args=(sock,), daemon=True).start()

    base = "http://127.0.0.1:%d" % PORT

    sys.path.insert(0, os.environ["PYTHONZIMBRA"])
    from pythonzimbra.communication import Communication
    from pythonzimbra.request_json import RequestJson
    from pythonzimbra.request_xml import RequestXml
    from pythonzimbra.response_json import ResponseJson
    from pythonzimbra.response_xml import ResponseXml
    from pythonzimbra.tools import auth

    # the token of zimbra-auth-*.body: the next call carries it
    with open(os.path.join(here, "zimbra-auth-xml.body")) as f:
        token = f.read().split("<authToken>")[1].split("<")[0]

    auth.authenticate(base + "/service/soap", "user1@example.com",
                      "Secr3t&<pass>", use_password=True,
                      request_type="xml")
    save("zimbra-auth-xml")
    auth.authenticate(base + "/service/soap", "user1@example.com",
                      "Secr3t&<pass>", use_password=True,
                      request_type="json")
    save("zimbra-auth-json")

    for name, req, resp in (("xml", RequestXml(), ResponseXml()),
                            ("json", RequestJson(), ResponseJson())):
        req.set_auth_token(token)
        req.add_request("GetInfoRequest", {"sections": "mbox"},
                        "urn:zimbraAccount")
        Communication(base + "/service/soap").send_request(req, resp)
        save("zimbra-getinfo-" + name)
    auth.authenticate(base + "/service/admin/soap", "admin@example.com",
                      "Adm1n-pass", admin_auth=True, request_type="xml")
    save("zimbra-admin-auth-xml")

    sys.path.insert(0, os.path.join(os.environ["HORNBILL"],
                                    "python_api_lib"))
    from xmlmc import XmlmcService

    xmlmc = XmlmcService("instance")
    xmlmc.set_server_endpoint(base + "/instance")
    xmlmc.add_param("userId", "jsmith")
    xmlmc.add_param("password", "Pa55word!").encode("base64")
    xmlmc.invoke("session", "userLogon")
    save("hornbill-userlogon-python")

    import requests

    # cvpysdk: commcell.py's headers, cvpysdk.py's _login() payload
    headers = {"Host": "127.0.0.1:%d" % PORT, "Accept": "application/json",
               "Content-type": "application/json", "Authtoken": None}
    payload = {"mode": 4, "username": "jsmith",
               "password": base64.b64encode(b"Pa55word!").decode(),
               "deviceId": "client.mydomain.com", "clientType": 30}
    requests.post(base + "/commandcenter/api/Login", headers=headers,
                  json=payload)
    save("commvault-login-cvpysdk")


if __name__ == "__main__":
    main()
