"""The project's 1.2 envelope XSDs as a function of the official 1.3 set: the oracle that proves the shipped 1.2
files are the official 1.3 structure with exactly the documented differences (`conformance/schemas/README.md`).

No official 1.2 set is public. Real 1.2 traffic (`tests/vectors/real-traffic/`) has the 1.3 structure (the async
status in the types namespace, the 1.3 status list), so 1.2 is 1.3 with:
- the version 1.2 in every namespace;
- no routing or directive namespace (1.3 added them): their imports and the two optional references go;
- no PersonalAccessDenied fault (1.3 added it);
- `HumanReadableName` optional in `Sender` and `Recipient`: every real 1.2 answer carries `Mnemonic` alone.
The service WSDL follows: the 1.3 WSDL without the PersonalAccessDenied message and faults.
"""

from __future__ import annotations

import re

_HUMAN = '<xs:element name="HumanReadableName" type="basic:string-500">'


def derive_1_2(name: str, text_1_3: str) -> str:
    """The 1.2 file `name` (e.g. `smev-message-exchange-types-1.2.xsd`) from the text of its official 1.3 twin."""
    text = text_1_3
    text = re.sub(r'\s*xmlns:(rout|direct)="[^"]*"', "", text)
    text = re.sub(r'\s*<xs:import namespace="[^"]*/(routing|directive)/1\.3"[^>]*/>', "", text)
    text = re.sub(r'\s*<xs:element ref="rout:[A-Za-z]+" minOccurs="0">.*?</xs:element>', "", text, flags=re.S)
    text = re.sub(r'\s*<xs:element name="PersonalAccessDenied" type="basic:SmevFault">.*?</xs:element>', "", text,
                  flags=re.S)
    text = re.sub(r'\s*<wsdl:message name="PersonalAccessDeniedException">.*?</wsdl:message>', "", text, flags=re.S)
    text = re.sub(r'\s*<wsdl:fault name="PersonalAccessDeniedFault" message=[^>]*>.*?</wsdl:fault>', "", text,
                  flags=re.S)
    text = re.sub(r'\s*<wsdl:fault name="PersonalAccessDeniedFault"><soap:fault[^>]*/></wsdl:fault>', "", text)
    if "types" in name:
        text = text.replace(_HUMAN, _HUMAN.replace(">", ' minOccurs="0">'))
    text = text.replace("1.3", "1.2").replace("v1_3", "v1_2")
    return text
