"""The WeChat side: the push protocol, the ``/wechat`` webhook, the message pipeline, the API client, the menu."""
